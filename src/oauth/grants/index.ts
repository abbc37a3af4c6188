import { authorizationCodeGrant } from './authorizationCode.js';
import { clientCredentialsGrant } from './clientCredentials.js';
import { deviceCodeGrant } from './deviceCode.js';
import { refreshTokenGrant } from './refreshToken.js';
import type { GrantHandler } from './grant.js';

/** The token endpoint's table of grant plug-ins: a new grant type is one more entry. */
export const grantHandlers: GrantHandler[] = [
  authorizationCodeGrant,
  clientCredentialsGrant,
  refreshTokenGrant,
  deviceCodeGrant,
];
