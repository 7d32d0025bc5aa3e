
CREATE TABLE teams (
  team_id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  default_package_id TEXT,
  created_at BIGINT NOT NULL
);
CREATE TABLE users (
  team_id TEXT NOT NULL REFERENCES teams (team_id),
  user_id TEXT NOT NULL,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (team_id, user_id)
);
CREATE TABLE api_tokens (
  team_id TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  user_id TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (team_id, token_hash),
  FOREIGN KEY (team_id, user_id) REFERENCES users (team_id, user_id)
);
CREATE UNIQUE INDEX api_tokens_by_hash ON api_tokens (token_hash);
CREATE TABLE integrations (
  team_id TEXT NOT NULL PRIMARY KEY REFERENCES teams (team_id),
  region TEXT NOT NULL,
  api_key_encrypted BYTEA NOT NULL,
  api_key_last4 TEXT NOT NULL,
  webhook_secret_encrypted BYTEA NOT NULL,
  previous_webhook_secret_encrypted BYTEA,
  previous_secret_valid_until BIGINT,
  status TEXT NOT NULL,
  status_reason TEXT NOT NULL,
  certn_team_id TEXT,
  verified_at BIGINT,
  last_delivery_at BIGINT,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX integrations_by_certn_team ON integrations (certn_team_id);
CREATE TABLE jobs (
  team_id TEXT NOT NULL REFERENCES teams (team_id),
  job_id TEXT NOT NULL,
  title TEXT NOT NULL,
  default_package_id TEXT,
  tags TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  plan_stages TEXT NOT NULL DEFAULT '[]',
  plan_version BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (team_id, job_id)
);
CREATE INDEX jobs_by_created ON jobs (team_id, created_at, job_id);
CREATE TABLE candidates (
  team_id TEXT NOT NULL REFERENCES teams (team_id),
  candidate_id TEXT NOT NULL,
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  email TEXT,
  phone TEXT,
  tags TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (team_id, candidate_id)
);
CREATE INDEX candidates_by_created ON candidates (team_id, created_at, candidate_id);
CREATE TABLE candidate_files (
  team_id TEXT NOT NULL,
  file_id TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  sha256_hex TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  content BYTEA NOT NULL,
  PRIMARY KEY (team_id, file_id),
  FOREIGN KEY (team_id, candidate_id) REFERENCES candidates (team_id, candidate_id)
);
CREATE INDEX candidate_files_by_candidate ON candidate_files (team_id, candidate_id, created_at);
CREATE TABLE applications (
  team_id TEXT NOT NULL,
  application_id TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  stage_id TEXT,
  status TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (team_id, application_id),
  FOREIGN KEY (team_id, candidate_id) REFERENCES candidates (team_id, candidate_id),
  FOREIGN KEY (team_id, job_id) REFERENCES jobs (team_id, job_id)
);
CREATE INDEX applications_by_created ON applications (team_id, created_at, application_id);
CREATE INDEX applications_by_candidate ON applications (team_id, candidate_id, created_at);
CREATE INDEX applications_by_job ON applications (team_id, job_id, created_at);
CREATE TABLE background_checks (
  team_id TEXT NOT NULL,
  check_id TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  application_id TEXT,
  activity_id TEXT,
  package_id TEXT NOT NULL,
  package_name TEXT NOT NULL,
  send_trigger TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  status TEXT NOT NULL,
  error_reason TEXT NOT NULL,
  certn_case_id TEXT,
  certn_short_id TEXT,
  certn_overall_status TEXT NOT NULL,
  results_url TEXT,
  report_file_id TEXT,
  report_saved_as TEXT,
  results TEXT NOT NULL,
  history TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  ordered_at BIGINT,
  completed_at BIGINT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (team_id, check_id),
  FOREIGN KEY (team_id, candidate_id) REFERENCES candidates (team_id, candidate_id),
  FOREIGN KEY (team_id, application_id) REFERENCES applications (team_id, application_id)
);
CREATE UNIQUE INDEX background_checks_by_case ON background_checks (certn_case_id);
CREATE UNIQUE INDEX background_checks_one_active ON background_checks (team_id, application_id)
  WHERE application_id IS NOT NULL AND status NOT IN ('complete', 'error', 'cancelled');
CREATE INDEX background_checks_by_candidate ON background_checks (team_id, candidate_id, created_at);
CREATE INDEX background_checks_quiet ON background_checks (updated_at)
  WHERE certn_case_id IS NOT NULL AND status NOT IN ('complete', 'error', 'cancelled');
CREATE TABLE feed_events (
  team_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  application_id TEXT,
  check_id TEXT,
  at BIGINT NOT NULL,
  type TEXT NOT NULL,
  actor TEXT NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY (team_id, event_id),
  FOREIGN KEY (team_id, candidate_id) REFERENCES candidates (team_id, candidate_id)
);
CREATE INDEX feed_events_by_candidate ON feed_events (team_id, candidate_id, at, event_id);
CREATE TABLE idempotency_keys (
  team_id TEXT NOT NULL,
  idem_key TEXT NOT NULL,
  request_fingerprint TEXT NOT NULL,
  status_code BIGINT NOT NULL,
  response_body BYTEA NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (team_id, idem_key)
);
-- team_id '' holds deliveries no team could be matched to (never applied);
-- a retried unverified delivery is kept again, so received_at joins the key.
CREATE TABLE webhook_deliveries (
  team_id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  scheme TEXT NOT NULL,
  event_type TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  body BYTEA NOT NULL,
  verdict TEXT NOT NULL,
  check_id TEXT,
  PRIMARY KEY (team_id, delivery_id, received_at)
);
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (team_id, delivery_id)
  WHERE team_id <> '';
CREATE INDEX webhook_deliveries_by_received ON webhook_deliveries (received_at);
CREATE INDEX webhook_deliveries_orphans ON webhook_deliveries (team_id, object_id)
  WHERE verdict = 'orphan';
CREATE TABLE work_items (
  team_id TEXT NOT NULL,
  work_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  payload BYTEA NOT NULL,
  dedupe_key TEXT,
  run_at BIGINT NOT NULL,
  attempts BIGINT NOT NULL,
  last_error TEXT NOT NULL,
  state TEXT NOT NULL,
  lease_owner TEXT,
  lease_until BIGINT,
  PRIMARY KEY (team_id, work_id)
);
CREATE UNIQUE INDEX work_items_pending_dedupe ON work_items (team_id, dedupe_key)
  WHERE state = 'pending' AND dedupe_key IS NOT NULL;
CREATE INDEX work_items_due ON work_items (run_at) WHERE state = 'pending';
CREATE INDEX work_items_by_state ON work_items (state);
