// Migrations of issue 19 (users, roles, tokens): portable SQL in the style of
// portable_migrations.h, listed by each back-end's migrations.cc.
#pragma once

#include <string_view>

namespace stagecheck::store::portable {

// v10: users get an email and can be deactivated; tokens get an id that names
// them in the API, a name, an optional expiry, a revocation time and a
// last-used time (written at most once a minute). Additive: a replica still on
// the old binary keeps authenticating (it ignores the new columns, so it does
// not see revocations; replace replicas promptly). Existing tokens get an id
// from their hash's prefix (the hash of a random 256-bit token: not a secret).
inline constexpr std::string_view kUsersAndTokens = R"sql(
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN deactivated_at BIGINT;
CREATE UNIQUE INDEX users_by_email ON users (team_id, email);
ALTER TABLE api_tokens ADD COLUMN token_id TEXT;
ALTER TABLE api_tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN revoked_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;
UPDATE api_tokens SET token_id = 'tok_' || substr(token_hash, 1, 24) WHERE token_id IS NULL;
CREATE UNIQUE INDEX api_tokens_by_id ON api_tokens (team_id, token_id);
CREATE INDEX api_tokens_by_user ON api_tokens (team_id, user_id);
)sql";

}  // namespace stagecheck::store::portable
