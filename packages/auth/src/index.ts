export {
  type ApiKeyRecord,
  ApiKeyStore,
  AuthError,
  type AuthFailure,
  ForbiddenError,
  type Principal,
  SCOPES,
  type Scope,
} from "./api-keys.js";
