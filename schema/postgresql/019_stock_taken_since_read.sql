-- Issue 13: a redemption's stock is taken in the COMMIT's round trip (store/stock_repo.cpp,
-- take_stock). The stock was read unlocked earlier in the transaction; when a concurrent
-- redemption took it since, the UPDATE must fail rather than report "no row changed", because by
-- then nothing is left to look at the count: the statement goes out with the COMMIT. It fails as
-- a serialization failure (40001), which is what happened — the job runs again (pg_pool.hpp),
-- and its reads then see the stock as it is (409 out_of_stock if it is short).
CREATE FUNCTION civic_stock_taken_since_read(sku TEXT, stock BIGINT, wanted BIGINT) RETURNS BIGINT
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the stock of % is % now, % wanted: taken since it was read', sku, stock, wanted
        USING ERRCODE = 'serialization_failure';
END;
$$;
