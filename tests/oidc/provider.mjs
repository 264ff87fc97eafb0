// A real OpenID Connect provider (panva's certified oidc-provider) on loopback, for the single sign-on tests.
//
// Usage: node provider.mjs CONFIG.json
// CONFIG: {"clients": [...], "jwks": {"keys": [private JWK]}, "accounts_file": "...", "cookie_key": "..."}
// It listens on a free 127.0.0.1 port and prints one line of JSON, {"issuer": "http://127.0.0.1:PORT"}, once it
// accepts requests. Accounts are read from accounts_file on every look-up, so a test can add people while it runs;
// the sign-in form (the provider's development interactions) accepts any password for a login in that file.
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function accounts() {
  return JSON.parse(readFileSync(config.accounts_file, 'utf8'));
}

const server = http.createServer();
await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: config.jwks,
  cookies: { keys: [config.cookie_key] },
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'job_title', 'department'],
    groups: ['groups'],
  },
  async findAccount(ctx, id) {
    const claims = accounts()[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  // A first-party client: no consent screen, as with an organisation's own identity provider.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(ctx.oidc.params.scope);
    await grant.save();
    return grant;
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // The default page loads a web font from the internet; this one is self-contained.
      async logoutSource(ctx, form) {
        ctx.body = `<!DOCTYPE html><html><head><title>Sign out</title></head><body>${form}
          <button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
          </body></html>`;
      },
    },
  },
  ttl: { IdToken: 3600, AccessToken: 3600, Interaction: 600, Session: 3600, Grant: 3600 },
});
server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
process.on('SIGTERM', () => { server.close(); process.exit(0); });
