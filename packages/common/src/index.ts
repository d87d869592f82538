export { isToken, TOKEN, token } from "./tokens.js";
