-- The INSERTs of one consent decision, in one transaction, as the service writes them:
-- idempotency reservation, event, three choices, proof, notice, audit entry, idempotency answer.
\set n random(1, 2000000000)
BEGIN;
INSERT INTO privacy.idempotency_records (caller_key_id, idempotency_key, request_hash, created_at)
    VALUES ('pgbench', 'pg-' || :client_id || '-' || :n, repeat('b', 64), now()) ON CONFLICT DO NOTHING;
INSERT INTO privacy.consent_events (id, subject_type, subject_id, kind, policy_version, channel, notice_id, notice_hash,
                                    language, gpc, occurred_at, recorded_by)
    VALUES (gen_random_uuid(), 'Visitor', 'pw' || lpad(:client_id || '-' || :n, 30, '0'), 'Decision', '2022-02-08', 'Banner',
            'banner-v1-sv', repeat('a', 64), 'sv', false, now(), 'pgbench')
    RETURNING id AS event_id \gset
INSERT INTO privacy.consent_choices (event_id, purpose_key, granted, requested, subject_type, subject_id, occurred_at)
    VALUES (:event_id, 'cookies.necessary', true, true, 'Visitor', 'pw' || lpad(:client_id || '-' || :n, 30, '0'), now()),
           (:event_id, 'cookies.preferences', false, false, 'Visitor', 'pw' || lpad(:client_id || '-' || :n, 30, '0'), now()),
           (:event_id, 'cookies.statistics', true, true, 'Visitor', 'pw' || lpad(:client_id || '-' || :n, 30, '0'), now());
INSERT INTO privacy.consent_proofs (event_id, ip_address, user_agent, ip_address_hash, user_agent_hash)
    VALUES (:event_id, '198.51.100.23', 'Mozilla/5.0 (X11; Linux x86_64) pgbench', repeat('c', 64), repeat('d', 64));
INSERT INTO privacy.consent_notices (hash, notice_id, text, first_seen_at) VALUES (repeat('a', 64), 'banner-v1-sv', NULL, now())
    ON CONFLICT (hash) DO NOTHING;
INSERT INTO privacy.audit_entries (occurred_at, actor_key_id, actor_role, action, entity_type, entity_id, details)
    VALUES (now(), 'pgbench', 'frontend', 'consent.decision.recorded', 'consent_event', gen_random_uuid()::text, '{"choices":3}');
UPDATE privacy.idempotency_records SET status_code = 201, response_body = '{}', location = '/consent/receipts/x'
    WHERE caller_key_id = 'pgbench' AND idempotency_key = 'pg-' || :client_id || '-' || :n;
COMMIT;
