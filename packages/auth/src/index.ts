export {
  type ApiKeyRecord,
  ApiKeyStore,
  AuthError,
  type AuthFailure,
  ForbiddenError,
  KeyNotFoundError,
  keyIdOf,
  type Principal,
  SCOPES,
  type Scope,
} from "./api-keys.js";
export { FileKeyStore, type KeyStore, PgKeyStore } from "./key-store.js";
