#include "server/store/pg/pg_conn.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
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

struct SentResult {
    PGresult* result = nullptr;  // null if its pipeline failed first
    bool done = false;           // its pipeline was read
    SentResult() = default;
    SentResult(const SentResult&) = delete;
    SentResult& operator=(const SentResult&) = delete;
    ~SentResult() {
        if (result) PQclear(result);
    }
};

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
    PQsetNoticeReceiver(conn_, &Conn::receive_notice, this);
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
        if (!options.settings.empty()) exec(options.settings);
    } catch (...) {
        PQfinish(conn_);
        conn_ = nullptr;
        throw;
    }
}

void Conn::receive_notice(void* self, const PGresult* notice) {
    auto& conn = *static_cast<Conn*>(self);
    // libpq hands an error that arrives while idle to the notice receiver. FATAL or PANIC there
    // is the server's goodbye (pg_terminate_backend, a shutdown): the close follows it, but
    // may not have reached our socket yet.
    const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity && (std::string_view(severity) == "FATAL" || std::string_view(severity) == "PANIC")) {
        conn.server_said_goodbye_ = true;
        return;
    }
    if (conn.notices_.size() >= kMaxNotices) {
        conn.notices_inexact_ = true;
        return;
    }
    const char* message = PQresultErrorField(notice, PG_DIAG_MESSAGE_PRIMARY);
    conn.notices_.emplace_back(message ? message : "");
}

void Conn::forget_notices() {
    notices_.clear();
    notices_inexact_ = false;
}

Conn::~Conn() {
    attachment_.reset();  // its registration of the socket goes before the socket
    if (conn_) PQfinish(conn_);
}

bool Conn::ok() const { return conn_ && PQstatus(conn_) == CONNECTION_OK && !server_said_goodbye_; }
bool Conn::alive() {
    // A terminated backend sends its FATAL error, then closes. libpq keeps the connection "OK" on
    // an error while idle, so the message itself is the sign (receive_notice; ok() reads it): the
    // close may come a moment later, after the backend has already left pg_stat_activity.
    // Healthy and idle, the socket has nothing to read, and this costs one poll().
    for (int i = 0; i < 4 && ok(); ++i) {
        pollfd p{PQsocket(conn_), POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) break;
        if (PQconsumeInput(conn_) == 0) return false;
        // PQconsumeInput only reads; PQisBusy parses, and an error while idle reaches receive_notice.
        PQisBusy(conn_);
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
    if (!waiting_.empty()) return true;  // what waits is in a transaction (BEGIN, if unsent, first)
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
    // Only transaction control waits this way: in_transaction() counts on it, and nothing else
    // may have an outcome the caller could need before its next statement.
    const bool savepoint = sql.starts_with("SAVEPOINT");
    if (!sql.starts_with("BEGIN") && !savepoint)
        client_error("exec_with_next takes BEGIN or SAVEPOINT, not: " + std::string(sql));
    if (!savepoint) forget_notices();
    waiting_.push_back({std::string(sql), nullptr, {}, {}, {}});
    // A check's verdict is thrown in the scope of its statement, never inside a savepoint taken
    // after it (where a caller could take it for the savepoint's own failure).
    if (savepoint && checks_waiting()) flush();
}

void Conn::defer(Waiting statement) {
    if (!in_transaction()) client_error("a deferred statement outside a transaction");
    // Bounded: past kMaxWaiting what waits goes out now (its verdicts thrown here, as the next
    // statement would), so a loop of deferred statements holds neither unbounded memory nor an
    // unbounded pipeline.
    if (waiting_.size() >= kMaxWaiting) flush();
    waiting_.push_back(std::move(statement));
}

bool Conn::statements_waiting() const {
    return std::any_of(waiting_.begin(), waiting_.end(), [](const Waiting& w) { return w.statement != nullptr; });
}

bool Conn::checks_waiting() const {
    return std::any_of(waiting_.begin(), waiting_.end(), [](const Waiting& w) { return bool(w.check); });
}

std::string Conn::take_waiting() {
    std::string joined;
    for (const auto& w : waiting_) {
        joined += w.command;
        joined += "; ";
    }
    waiting_.clear();
    return joined;
}

void Conn::flush() {
    if (statements_waiting()) send_pipeline(nullptr);
}

void Conn::await_verdicts() {
    if (checks_waiting()) send_pipeline(nullptr);
}

void Conn::rollback() {
    const bool begun_unsent = !waiting_.empty() && waiting_.front().command.starts_with("BEGIN");
    waiting_.clear();
    if (begun_unsent) return;  // nothing of the transaction reached the server
    exec("ROLLBACK");
}

void Conn::rollback_to_savepoint(std::string_view name) {
    const std::string taken = "SAVEPOINT " + std::string(name);
    for (auto i = waiting_.size(); i-- > 0;) {
        if (waiting_[i].command == taken) {
            waiting_.erase(waiting_.begin() + static_cast<std::ptrdiff_t>(i), waiting_.end());
            return;  // the savepoint never reached the server, nor anything after it
        }
    }
    // Sent; so was everything before it (a send takes all that waits), and what waits is after it.
    waiting_.clear();
    notices_inexact_ = true;  // the undone statements' notices cannot be told from the others
    exec("ROLLBACK TO " + std::string(name) + "; RELEASE " + std::string(name));
}

void Conn::exec(std::string_view sql) {
    flush();  // a deferred statement cannot join the simple protocol's text
    if (sql.starts_with("BEGIN")) forget_notices();
    // Waiting transaction control leads, in the same message: the simple protocol runs the
    // statements in order and stops at the first error, whose result PQexec returns.
    PGresult* r = exec_text(take_waiting() + std::string(sql));
    const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) fail(r, "exec");
    PQclear(r);
}

std::int64_t Conn::copy_in(std::string_view sql, const std::function<bool(std::string&)>& fill) {
    if (!waiting_.empty()) exec("");  // COPY takes no company in a pipeline
    PGresult* started = exec_text(std::string(sql));
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
        while (PGresult* rest = next_result()) PQclear(rest);
        throw;
    }
    if (PQputCopyEnd(conn_, nullptr) != 1) fail(nullptr, "copy");
    PGresult* done = next_result();
    // The statement's one result, then NULL: read to the end so the connection is idle again.
    while (PGresult* rest = next_result()) PQclear(rest);
    if (!done || PQresultStatus(done) != PGRES_COMMAND_OK) fail(done, "copy");
    const auto rows = std::strtoll(PQcmdTuples(done), nullptr, 10);
    PQclear(done);
    return rows;
}

void Conn::commit() {
    await_verdicts();  // the deferred statements' checks decide before COMMIT is sent
    PGresult* r = nullptr;
    if (statements_waiting()) {
        Outgoing commit;
        commit.command = "COMMIT";
        r = send_pipeline(&commit);
    } else {
        r = exec_text(take_waiting() + "COMMIT");
    }
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) fail(r, "commit");
    const bool committed = std::strcmp(PQcmdStatus(r), "COMMIT") == 0;
    PQclear(r);
    if (!committed) {
        throw PgError("25P02", "commit: the transaction had failed and was rolled back");
    }
}

Conn::Outgoing Conn::outgoing(const Statement& statement, const std::vector<Query::Param>& params) {
    const auto n = params.size();
    Outgoing out{&statement, nullptr, std::vector<const char*>(n, nullptr), std::vector<int>(n, 0),
                 std::vector<int>(n, 1)};
    for (std::size_t i = 0; i < n; ++i) {
        const auto& p = params[i];
        if (bound_type(p.type) != Query::Type::null && !p.null) {
            out.values[i] = p.bytes.data();
            out.lengths[i] = static_cast<int>(p.bytes.size());
        }
    }
    return out;
}

namespace {

bool send_one(PGconn* conn, const char* command, const char* statement, const std::vector<const char*>& values,
              const std::vector<int>& lengths, const std::vector<int>& formats) {
    if (command) return PQsendQueryParams(conn, command, 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
    return PQsendQueryPrepared(conn, statement, static_cast<int>(values.size()), values.data(), lengths.data(),
                               formats.data(), /*resultFormat=*/0) == 1;
}

std::int64_t rows_changed(PGresult* r) {
    const char* tuples = PQcmdTuples(r);
    return (tuples && *tuples) ? std::strtoll(tuples, nullptr, 10) : 0;
}

}  // namespace

PGresult* Conn::send_pipeline(const Outgoing* last) {
    // Each waiting statement, then `last`, then a Sync; read back in that order. A statement's
    // error makes the server skip the rest up to the Sync (PGRES_PIPELINE_ABORTED).
    const std::size_t waiting = waiting_.size();
    bool sent = PQenterPipelineMode(conn_) == 1;
    for (const auto& w : waiting_) {
        if (!sent) break;
        if (w.statement) {
            const auto out = outgoing(*w.statement, w.params);
            sent = send_one(conn_, nullptr, w.statement->name.c_str(), out.values, out.lengths, out.formats);
        } else {
            sent = send_one(conn_, w.command.c_str(), nullptr, {}, {}, {});
        }
    }
    if (sent && last)
        sent = send_one(conn_, last->command, last->statement ? last->statement->name.c_str() : nullptr, last->values,
                        last->lengths, last->formats);
    sent = sent && PQpipelineSync(conn_) == 1;
    std::exception_ptr first_failure;
    PGresult* answer = nullptr;
    std::size_t read = 0;
    const std::size_t expected = waiting + (last ? 1 : 0);
    if (sent) {
        for (; read < expected; ++read) {
            PGresult* r = next_result();
            if (!r) break;                                         // the connection broke
            while (PGresult* rest = next_result()) PQclear(rest);  // up to the statement's NULL
            const auto status = PQresultStatus(r);
            if (status == PGRES_FATAL_ERROR && !first_failure) {
                try {
                    fail(r, "query");  // takes r
                } catch (...) {
                    first_failure = std::current_exception();
                }
                continue;
            }
            if (status == PGRES_FATAL_ERROR || status == PGRES_PIPELINE_ABORTED) {
                PQclear(r);
            } else if (read == waiting) {
                answer = r;
            } else if (waiting_[read].sent) {
                waiting_[read].sent->result = r;
            } else {
                if (waiting_[read].check && !first_failure) {
                    try {
                        waiting_[read].check(rows_changed(r));
                    } catch (...) {
                        first_failure = std::current_exception();
                    }
                }
                PQclear(r);
            }
        }
        if (PGresult* sync = next_result()) PQclear(sync);  // PGRES_PIPELINE_SYNC
    }
    for (auto& w : waiting_)
        if (w.sent) w.sent->done = true;  // with its result, or none: skipped, failed or lost
    waiting_.clear();                     // sent, or the connection failed: nothing waits any more (the capacity stays)
    PQexitPipelineMode(conn_);
    if (first_failure || read < expected) {
        if (answer) PQclear(answer);
        if (first_failure) std::rethrow_exception(first_failure);
        fail(nullptr, "query");
    }
    return answer;
}

PGresult* Conn::exec_prepared(const Outgoing& statement) {
    if (!waiting_.empty()) return send_pipeline(&statement);
    if (!send_one(conn_, nullptr, statement.statement->name.c_str(), statement.values, statement.lengths,
                  statement.formats))
        return nullptr;
    return last_result();
}

PGresult* Conn::next_result() {
    if (waiter_) {
        // Asked only once it has what it needs, libpq never waits on the socket itself.
        while (PQisBusy(conn_)) {
            waiter_->readable(*this);
            if (PQconsumeInput(conn_) == 0) break;  // broken: PQgetResult reports it at once
        }
    }
    return PQgetResult(conn_);
}

PGresult* Conn::last_result() {
    PGresult* last = nullptr;
    while (PGresult* r = next_result()) {
        if (last) PQclear(last);
        last = r;
        const auto status = PQresultStatus(r);
        if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) break;
        if (PQstatus(conn_) == CONNECTION_BAD) break;
    }
    return last;
}

PGresult* Conn::exec_text(const std::string& text) {
    if (PQsendQuery(conn_, text.c_str()) != 1) return nullptr;  // fail() reports libpq's message
    return last_result();
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

Query::Type Conn::bound_type(Query::Type t) { return t == Query::Type::unset ? Query::Type::null : t; }

const Conn::Statement& Conn::prepare(const Query& q) {
    const TranslatedSql& sql = *q.sql_;
    // The lookup key (SQL, then a type letter a parameter) is all a prepared statement costs
    // after its first run.
    std::string key;
    key.reserve(sql.sql.size() + 1 + q.params_.size());
    key.append(sql.sql).push_back('\0');
    for (const auto& p : q.params_) key.push_back(static_cast<char>(bound_type(p.type)));
    auto it = statements_.find(key);
    if (it != statements_.end()) return it->second;
    std::vector<Oid> types;  // a NULL without a type (0) is left to the server
    types.reserve(q.params_.size());
    for (const auto& p : q.params_) {
        switch (bound_type(p.type)) {
            case Query::Type::int8:
                types.push_back(kInt8);
                break;
            case Query::Type::float8:
                types.push_back(kFloat8);
                break;
            case Query::Type::text:
                types.push_back(kText);
                break;
            case Query::Type::bytea:
                types.push_back(kBytea);
                break;
            default:
                types.push_back(0);
                break;
        }
    }
    Statement s{"civic_" + std::to_string(statements_.size() + 1), sql.parameters};
    PGresult* r = PQsendPrepare(conn_, s.name.c_str(), sql.sql.c_str(), sql.parameters, types.data()) == 1
                      ? last_result()
                      : nullptr;
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
      executed_(other.executed_),
      sent_(std::move(other.sent_)) {
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
    if (executed_ || sent_) {  // binding again after a run starts a new execution, as sqlite3_reset would
        if (result_) PQclear(result_);
        result_ = nullptr;
        sent_.reset();  // a sent one still runs; its rows are not wanted any more
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
    const auto& statement = conn_->prepare(*this);
    PGresult* r = conn_->exec_prepared(Conn::outgoing(statement, params_));
    const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) conn_->fail(r, "query");
    result_ = r;
    executed_ = true;
    row_ = -1;
    rows_ = status == PGRES_TUPLES_OK ? PQntuples(r) : 0;
    conn_->changes_ = rows_changed(r);
}

void Query::run_deferred(std::function<void(std::int64_t changes)> check) {
    if (executed_ || sent_) client_error("run_deferred on a statement already run");
    const auto& statement = conn_->prepare(*this);
    conn_->defer({{}, &statement, std::move(params_), std::move(check), {}});
    params_.assign(static_cast<std::size_t>(sql_->parameters), Param{});
    executed_ = true;  // spent: no rows here
    row_ = rows_ = 0;
}

void Query::send() {
    if (executed_ || sent_) client_error("send on a statement already run");
    const auto& statement = conn_->prepare(*this);
    auto sent = std::make_shared<SentResult>();
    conn_->defer({{}, &statement, std::move(params_), {}, sent});
    sent_ = std::move(sent);
    params_.assign(static_cast<std::size_t>(sql_->parameters), Param{});
}

void Query::take_sent() {
    if (!sent_->done) conn_->flush();
    auto sent = std::move(sent_);
    if (!sent->result) {
        // Its pipeline failed before it (the failure was thrown by the call that sent it).
        throw PgError("25P02", "query: not run, an earlier statement of its pipeline failed");
    }
    result_ = std::exchange(sent->result, nullptr);
    executed_ = true;
    row_ = -1;
    rows_ = PQresultStatus(result_) == PGRES_TUPLES_OK ? PQntuples(result_) : 0;
    conn_->changes_ = rows_changed(result_);
}

bool Query::next() {
    if (!executed_) sent_ ? take_sent() : execute();
    if (row_ < rows_) ++row_;
    return row_ < rows_;
}

void Query::run() {
    if (!executed_) sent_ ? take_sent() : execute();
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
