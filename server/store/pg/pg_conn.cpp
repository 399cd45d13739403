#include "server/store/pg/pg_conn.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace civic::store::pg {

namespace {

// Type OIDs, fixed in PostgreSQL's catalog (pg_type.dat); the server headers are not needed.
constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kText = 25, kFloat4 = 700, kFloat8 = 701, kNumeric = 1700;

std::string trimmed(const char* message) {
    std::string s = message ? message : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

[[noreturn]] void client_error(const std::string& message) { throw PgError(std::string(PgError::kClient), message); }

void put_be64(std::string& out, std::uint64_t v) {
    out.resize(8);
    for (int i = 7; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
        v >>= 8;
    }
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// bytea's text output (bytea_output = hex, set on every connection): \x then two digits a byte.
std::string decode_bytea(const char* p, std::size_t len) {
    if (len < 2 || p[0] != '\\' || p[1] != 'x' || len % 2 != 0) client_error("bytea value not in hex format");
    std::string out;
    out.resize((len - 2) / 2);
    for (std::size_t i = 2, o = 0; i < len; i += 2, ++o) {
        const int hi = hex_value(p[i]), lo = hex_value(p[i + 1]);
        if (hi < 0 || lo < 0) client_error("bytea value not in hex format");
        out[o] = static_cast<char>(hi << 4 | lo);
    }
    return out;
}

void no_notices(void*, const char*) {}

}  // namespace

std::string conninfo_error(const std::string& conninfo) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    if (options) {
        PQconninfoFree(options);
        return "";
    }
    std::string message = error ? trimmed(error) : "out of memory";
    if (error) PQfreemem(error);
    return message;
}

// --- Conn --------------------------------------------------------------------------------------

Conn::Conn(Options options) {
    // Our defaults first, then the caller's string expanded: libpq keeps the last value of a
    // repeated keyword, so anything the URL says wins.
    const std::string timeout = std::to_string(options.connect_timeout_s);
    const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* values[] = {timeout.c_str(), options.application_name.c_str(), options.conninfo.c_str(), nullptr};
    conn_ = PQconnectdbParams(keywords, values, 1);
    if (!conn_) throw PgError("08001", "cannot connect to PostgreSQL: out of memory", true);
    if (PQstatus(conn_) != CONNECTION_OK) {
        std::string message = "cannot connect to PostgreSQL: " + trimmed(PQerrorMessage(conn_));
        PQfinish(conn_);
        conn_ = nullptr;
        throw PgError("08001", std::move(message), true);
    }
    PQsetNoticeProcessor(conn_, no_notices, nullptr);
    if (PQsetClientEncoding(conn_, "UTF8") != 0) {
        std::string message = "cannot set client encoding: " + trimmed(PQerrorMessage(conn_));
        PQfinish(conn_);
        conn_ = nullptr;
        throw PgError("08001", std::move(message), true);
    }
    // Per-session settings the accessors rely on (bytea as hex, floats exact, times in UTC),
    // and the lock wait bound.
    try {
        exec("SET lock_timeout = " + std::to_string(options.lock_timeout_ms) +
             "; SET bytea_output = 'hex'; SET extra_float_digits = 1; SET TimeZone = 'UTC'");
    } catch (...) {
        PQfinish(conn_);
        conn_ = nullptr;
        throw;
    }
}

Conn::~Conn() {
    if (conn_) PQfinish(conn_);
}

bool Conn::ok() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }
bool Conn::alive() {
    // A terminated backend sends its FATAL error, then closes: the first read takes the message
    // (libpq keeps the connection "OK" on an error while idle), the next one meets EOF. Healthy
    // and idle, the socket has nothing to read, and this costs one poll().
    for (int i = 0; i < 4 && ok(); ++i) {
        pollfd p{PQsocket(conn_), POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) break;
        if (PQconsumeInput(conn_) == 0) return false;
    }
    return ok();
}
int Conn::socket() const { return PQsocket(conn_); }
bool Conn::consume_input() { return PQconsumeInput(conn_) != 0 && ok(); }
std::optional<Conn::Notification> Conn::next_notification() {
    PGnotify* n = PQnotifies(conn_);
    if (!n) return std::nullopt;
    Notification out{n->relname, n->extra ? n->extra : "", n->be_pid};
    PQfreemem(n);
    return out;
}
int Conn::server_version() const { return PQserverVersion(conn_); }
int Conn::backend_pid() const { return PQbackendPID(conn_); }
bool Conn::in_transaction() const {
    if (!waiting_.empty()) return true;  // only transaction control waits, BEGIN first
    const auto s = PQtransactionStatus(conn_);
    return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

void Conn::fail(PGresult* result, std::string_view what) {
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlstate = state ? state : "";
    std::string message = result ? trimmed(PQresultErrorMessage(result)) : "";
    if (message.empty()) message = trimmed(PQerrorMessage(conn_));
    if (result) PQclear(result);
    const bool lost = PQstatus(conn_) != CONNECTION_OK || PgError::ends_session(sqlstate);
    if (sqlstate.empty() && lost) sqlstate = "08006";  // connection_failure
    throw PgError(std::move(sqlstate), std::string(what) + ": " + message, lost);
}

void Conn::exec_with_next(std::string_view sql) {
    // Only transaction control waits: in_transaction() counts on it, and nothing else may have
    // an outcome the caller could need before its next statement.
    if (!sql.starts_with("BEGIN") && !sql.starts_with("SAVEPOINT"))
        client_error("exec_with_next takes BEGIN or SAVEPOINT, not: " + std::string(sql));
    waiting_.emplace_back(sql);
}

std::string Conn::take_waiting() {
    std::string joined;
    for (const auto& statement : waiting_) {
        joined += statement;
        joined += "; ";
    }
    waiting_.clear();
    return joined;
}

void Conn::exec(std::string_view sql) {
    // Waiting statements lead, in the same message: the simple protocol runs them in order and
    // stops at the first error, whose result PQexec returns.
    const std::string text = take_waiting() + std::string(sql);
    PGresult* r = PQexec(conn_, text.c_str());
    const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) fail(r, "exec");
    PQclear(r);
}

std::int64_t Conn::copy_in(std::string_view sql, const std::function<bool(std::string&)>& fill) {
    if (!waiting_.empty()) exec("");  // COPY takes no company in a pipeline
    const std::string text(sql);
    PGresult* started = PQexec(conn_, text.c_str());
    if (!started || PQresultStatus(started) != PGRES_COPY_IN) fail(started, "copy");
    PQclear(started);
    std::string chunk;
    try {
        for (bool more = true; more;) {
            chunk.clear();
            more = fill(chunk);
            if (!chunk.empty() && PQputCopyData(conn_, chunk.data(), static_cast<int>(chunk.size())) != 1)
                fail(nullptr, "copy");
        }
    } catch (...) {
        PQputCopyEnd(conn_, "copy abandoned by the client");
        while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
        throw;
    }
    if (PQputCopyEnd(conn_, nullptr) != 1) fail(nullptr, "copy");
    PGresult* done = PQgetResult(conn_);
    // The statement's one result, then NULL: read to the end so the connection is idle again.
    while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
    if (!done || PQresultStatus(done) != PGRES_COMMAND_OK) fail(done, "copy");
    const auto rows = std::strtoll(PQcmdTuples(done), nullptr, 10);
    PQclear(done);
    return rows;
}

void Conn::commit() {
    const std::string text = take_waiting() + "COMMIT";
    PGresult* r = PQexec(conn_, text.c_str());
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) fail(r, "commit");
    const bool committed = std::strcmp(PQcmdStatus(r), "COMMIT") == 0;
    PQclear(r);
    if (!committed) {
        throw PgError("25P02", "commit: the transaction had failed and was rolled back");
    }
}

PGresult* Conn::exec_prepared(const Statement& statement, int n, const char* const* values, const int* lengths,
                              const int* formats) {
    if (waiting_.empty())
        return PQexecPrepared(conn_, statement.name.c_str(), n, values, lengths, formats, /*resultFormat=*/0);
    // One pipeline: each waiting statement, then this one, then a Sync; read back in that order.
    // A failure aborts what follows it up to the Sync; the first error is the one thrown.
    const std::size_t waiting = waiting_.size();
    bool sent = PQenterPipelineMode(conn_) == 1;
    for (const auto& command : waiting_)
        sent = sent && PQsendQueryParams(conn_, command.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
    waiting_.clear();  // sent, or the connection failed: nothing waits any more (the capacity stays)
    sent = sent && PQsendQueryPrepared(conn_, statement.name.c_str(), n, values, lengths, formats, 0) == 1;
    sent = sent && PQpipelineSync(conn_) == 1;
    PGresult* error = nullptr;
    PGresult* answer = nullptr;
    if (sent) {
        for (std::size_t i = 0; i <= waiting; ++i) {
            PGresult* r = PQgetResult(conn_);
            if (!r) break;                                              // the connection broke
            while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);  // up to the statement's NULL
            const auto status = PQresultStatus(r);
            const bool failed = status == PGRES_FATAL_ERROR || status == PGRES_PIPELINE_ABORTED;
            if (failed && !error && status == PGRES_FATAL_ERROR) {
                error = r;
            } else if (i == waiting && !failed) {
                answer = r;
            } else {
                PQclear(r);
            }
        }
        if (PGresult* sync = PQgetResult(conn_)) PQclear(sync);  // PGRES_PIPELINE_SYNC
    }
    PQexitPipelineMode(conn_);
    if (error || !answer) {
        if (answer) PQclear(answer);
        fail(error, "query");
    }
    return answer;
}

Query Conn::query(std::string_view sql) {
    auto it = translated_.find(std::string(sql));
    if (it == translated_.end()) {
        TranslatedSql t;
        try {
            t = translate_placeholders(sql);
        } catch (const std::invalid_argument& e) {
            client_error(e.what());
        }
        it = translated_.emplace(std::string(sql), std::make_shared<const TranslatedSql>(std::move(t))).first;
    }
    return Query(*this, it->second);
}

const Conn::Statement& Conn::prepare(const TranslatedSql& sql, const std::string& signature,
                                     const std::vector<unsigned>& types) {
    std::string key;
    key.reserve(sql.sql.size() + 1 + signature.size());
    key.append(sql.sql).push_back('\0');
    key.append(signature);
    auto it = statements_.find(key);
    if (it != statements_.end()) return it->second;
    Statement s{"civic_" + std::to_string(statements_.size() + 1), sql.parameters};
    PGresult* r =
        PQprepare(conn_, s.name.c_str(), sql.sql.c_str(), sql.parameters, reinterpret_cast<const Oid*>(types.data()));
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) fail(r, "prepare");
    PQclear(r);
    return statements_.emplace(std::move(key), std::move(s)).first->second;
}

// --- Query -------------------------------------------------------------------------------------

Query::Query(Conn& conn, std::shared_ptr<const TranslatedSql> sql)
    : conn_(&conn), sql_(std::move(sql)), params_(static_cast<std::size_t>(sql_->parameters)) {}

Query::Query(Query&& other) noexcept
    : conn_(other.conn_),
      sql_(std::move(other.sql_)),
      params_(std::move(other.params_)),
      result_(other.result_),
      row_(other.row_),
      rows_(other.rows_),
      executed_(other.executed_) {
    other.result_ = nullptr;
}

Query::~Query() {
    if (result_) PQclear(result_);
}

Query::Param& Query::slot(int index) {
    if (index < 1 || index > static_cast<int>(params_.size())) {
        client_error("bind: parameter " + std::to_string(index) + " out of range (the statement has " +
                     std::to_string(params_.size()) + ")");
    }
    if (executed_) {  // binding again after a run starts a new execution, as sqlite3_reset would
        if (result_) PQclear(result_);
        result_ = nullptr;
        executed_ = false;
        row_ = -1;
        rows_ = 0;
    }
    auto& p = params_[static_cast<std::size_t>(index - 1)];
    p.null = false;
    return p;
}

Query& Query::bind(int index, std::int64_t value) {
    auto& p = slot(index);
    p.type = Type::int8;
    put_be64(p.bytes, static_cast<std::uint64_t>(value));
    return *this;
}
Query& Query::bind(int index, double value) {
    auto& p = slot(index);
    p.type = Type::float8;
    put_be64(p.bytes, std::bit_cast<std::uint64_t>(value));
    return *this;
}
Query& Query::bind(int index, std::string_view value) {
    auto& p = slot(index);
    p.type = Type::text;
    p.bytes.assign(value);
    return *this;
}
Query& Query::bind_blob(int index, std::string_view bytes) {
    auto& p = slot(index);
    p.type = Type::bytea;
    p.bytes.assign(bytes);
    return *this;
}
Query& Query::bind(int index, std::nullptr_t) { return bind_null_as(index, Type::null); }
Query& Query::bind_null_as(int index, Type type) {
    auto& p = slot(index);
    // A typed NULL keeps its parameter's type (so `? IS NULL OR x = ?` resolves, and the
    // statement prepared for non-NULL values is reused); an untyped one is left to the server.
    p.type = type;
    p.null = true;
    p.bytes.clear();
    return *this;
}

void Query::execute() {
    const auto n = params_.size();
    std::string signature(n, '\0');
    std::vector<unsigned> types(n, 0);
    std::vector<const char*> values(n, nullptr);
    std::vector<int> lengths(n, 0);
    std::vector<int> formats(n, 1);
    for (std::size_t i = 0; i < n; ++i) {
        const auto& p = params_[i];
        // Unbound parameters are NULL, as in SQLite.
        const Type t = p.type == Type::unset ? Type::null : p.type;
        signature[i] = static_cast<char>(t);
        switch (t) {
            case Type::int8:
                types[i] = kInt8;
                break;
            case Type::float8:
                types[i] = kFloat8;
                break;
            case Type::text:
                types[i] = kText;
                break;
            case Type::bytea:
                types[i] = kBytea;
                break;
            default:
                types[i] = 0;
                break;
        }
        if (t != Type::null && !p.null) {
            values[i] = p.bytes.data();
            lengths[i] = static_cast<int>(p.bytes.size());
        }
    }
    const auto& statement = conn_->prepare(*sql_, signature, types);
    PGresult* r = conn_->exec_prepared(statement, static_cast<int>(n), values.data(), lengths.data(), formats.data());
    const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) conn_->fail(r, "query");
    result_ = r;
    executed_ = true;
    row_ = -1;
    rows_ = status == PGRES_TUPLES_OK ? PQntuples(r) : 0;
    const char* tuples = PQcmdTuples(r);
    conn_->changes_ = (tuples && *tuples) ? std::strtoll(tuples, nullptr, 10) : 0;
}

bool Query::next() {
    if (!executed_) execute();
    if (row_ < rows_) ++row_;
    return row_ < rows_;
}

void Query::run() {
    if (!executed_) execute();
    row_ = rows_;
}

std::int64_t Query::changes() const {
    if (!result_) return 0;
    const char* tuples = PQcmdTuples(result_);
    return (tuples && *tuples) ? std::strtoll(tuples, nullptr, 10) : 0;
}

int Query::columns() const { return result_ ? PQnfields(result_) : 0; }

void Query::check_row(int col) const {
    if (!result_ || row_ < 0 || row_ >= rows_) client_error("column read without a current row");
    if (col < 0 || col >= PQnfields(result_)) {
        client_error("column " + std::to_string(col) + " out of range (the result has " +
                     std::to_string(PQnfields(result_)) + ")");
    }
}

const char* Query::cell(int col) const {
    check_row(col);
    return PQgetvalue(result_, row_, col);
}

bool Query::is_null(int col) const {
    check_row(col);
    return PQgetisnull(result_, row_, col) != 0;
}

std::int64_t Query::int64(int col) const {
    if (is_null(col)) return 0;
    const char* p = cell(col);
    const auto len = static_cast<std::size_t>(PQgetlength(result_, row_, col));
    const Oid type = PQftype(result_, col);
    if (type == kBool) return p[0] == 't' ? 1 : 0;
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(p, p + len, v);
    if (ec == std::errc() && end == p + len) return v;
    if (type == kNumeric || type == kFloat8 || type == kFloat4) {  // a fraction: truncated, as SQLite does
        double d = 0;
        const auto [dend, dec] = std::from_chars(p, p + len, d);
        if (dec == std::errc() && dend == p + len && std::isfinite(d)) return static_cast<std::int64_t>(d);
    }
    client_error("column " + std::to_string(col) + " is not an integer: " + std::string(p, len));
}

double Query::real(int col) const {
    if (is_null(col)) return 0;
    const char* p = cell(col);
    const auto len = static_cast<std::size_t>(PQgetlength(result_, row_, col));
    double d = 0;
    const auto [end, ec] = std::from_chars(p, p + len, d);
    if (ec == std::errc() && end == p + len) return d;
    client_error("column " + std::to_string(col) + " is not a number: " + std::string(p, len));
}

std::string Query::text(int col) const {
    if (is_null(col)) return {};
    const char* p = cell(col);
    const auto len = static_cast<std::size_t>(PQgetlength(result_, row_, col));
    if (PQftype(result_, col) == kBytea) return decode_bytea(p, len);
    return std::string(p, len);
}

std::string Query::blob(int col) const { return text(col); }

std::optional<std::int64_t> Query::opt_int64(int col) const {
    if (is_null(col)) return std::nullopt;
    return int64(col);
}
std::optional<std::string> Query::opt_text(int col) const {
    if (is_null(col)) return std::nullopt;
    return text(col);
}
std::optional<double> Query::opt_real(int col) const {
    if (is_null(col)) return std::nullopt;
    return real(col);
}
std::optional<std::string> Query::opt_blob(int col) const {
    if (is_null(col)) return std::nullopt;
    return blob(col);
}

}  // namespace civic::store::pg
