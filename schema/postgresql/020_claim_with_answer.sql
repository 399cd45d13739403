-- Issue 13: on a job's first run an idempotent operation claims its Idempotency-Key with its
-- answer, in one statement sent with the COMMIT (store/idempotency_repo.cpp,
-- claim_idempotent_answered), instead of a claim first and the answer after. When the key turns
-- out to hold a live answer — a retry of a request already answered, or a racing attempt that
-- committed first — the statement fails as a serialization failure (40001): nothing of the run
-- is kept, the job runs again, and that run claims first and replays the stored answer.
CREATE FUNCTION civic_idempotency_key_taken(caller TEXT) RETURNS BIGINT
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'an Idempotency-Key of % holds an answer already: run again to replay it', caller
        USING ERRCODE = 'serialization_failure';
END;
$$;
