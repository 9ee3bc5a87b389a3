"""The flagging work (every rule, raised and closed) as one hand-written SQL statement: what
the flagging benchmark times the flagging service against, and how the generated registry
gets its flags. Its own module so that both can import it."""

HAND_WRITTEN = """
WITH params AS (SELECT %(now)s::timestamptz AS now, %(today)s::date AS today),
in_force AS (SELECT a.* FROM agreements_agreement a WHERE a.status IN ('signed', 'active')),
high_risk AS (
    SELECT DISTINCT t.agreement_id AS id FROM agreements_datasharingterm t
    WHERE t.surveillance_practice <> 'none'
       OR (t.data_category IN ('personal_identifiable', 'special_category', 'victim_records',
                               'biometric_data', 'location_data')
           AND t.direction IN ('ngo_to_police', 'bidirectional'))),
candidates AS (
    SELECT a.id, 'review_overdue' AS kind,
           'The review was due on ' || to_char(a.next_review_due, 'FMDD FMMonth YYYY') || '.'
           AS detail
    FROM in_force a, params WHERE a.next_review_due < params.today
    UNION ALL
    SELECT a.id, 'no_independent_auditor',
           CASE WHEN o.id IS NULL THEN 'No independent auditor is assigned.'
                ELSE 'The auditor, ' || o.name
                     || ', is a party to the partnership: not independent.' END
    FROM in_force a LEFT JOIN partnerships_organization o ON o.id = a.independent_auditor_id
    WHERE a.independent_auditor_id IS NULL OR EXISTS (
        SELECT 1 FROM partnerships_partnershipparty p
        WHERE p.partnership_id = a.partnership_id AND p.organization_id = a.independent_auditor_id)
    UNION ALL
    SELECT a.id, 'expired_but_active',
           'Expired on ' || to_char(a.expires_on, 'FMDD FMMonth YYYY')
           || ' but still marked active.'
    FROM agreements_agreement a, params WHERE a.status = 'active' AND a.expires_on < params.today
    UNION ALL
    SELECT h.id, 'high_risk_without_dpia', 'High-risk data sharing, and no DPIA completed.'
    FROM high_risk h
    JOIN agreements_agreement a ON a.id = h.id AND a.status IN ('negotiating', 'signed', 'active'),
    params WHERE NOT EXISTS (
        SELECT 1 FROM oversight_review r WHERE r.agreement_id = h.id AND r.kind = 'dpia'
        AND r.status = 'completed' AND r.completed_on >= params.today - interval '12 months'
        AND r.completed_on <= params.today)
    UNION ALL
    SELECT r.agreement_id, 'corrective_action_overdue',
           'A corrective action was due on ' || to_char(min(f.due_on), 'FMDD FMMonth YYYY')
           || ' and is still open.'
    FROM oversight_finding f JOIN oversight_review r ON r.id = f.review_id, params
    WHERE f.status = 'open' AND f.due_on < params.today GROUP BY r.agreement_id),
closed AS (
    UPDATE oversight_flag f SET resolved_at = params.now, resolution = 'condition cleared'
    FROM params
    WHERE f.resolved_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM candidates c WHERE c.id = f.agreement_id AND c.kind = f.kind)
    RETURNING f.id)
INSERT INTO oversight_flag (agreement_id, kind, raised_at, resolution, detail)
SELECT c.id, c.kind, params.now, '', c.detail FROM candidates c, params
ON CONFLICT DO NOTHING
"""
