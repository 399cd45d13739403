#pragma once
// Thin RAII layer over libpq, shaped like server/store/sqlite.hpp so that one repository body can
// later run on either engine (docs/postgresql.md, "One interface, two engines"):
//
//   auto q = conn.query("SELECT id, name FROM grids WHERE code = ?");
//   q.args(code);
//   while (q.next()) use(q.int64(0), q.text(1));
//
// SQL is written with SQLite's `?` / `?NNN` placeholders and translated to `$n` once per
// connection (pg_sql.hpp). Each distinct (SQL, parameter types) pair is prepared once per
// connection and kept (PQprepare; statements survive rollbacks). Parameters go in binary with
// explicit types — int8, float8, text, bytea — so blobs and text are length-delimited and a
// text with a NUL byte or bad UTF-8 is refused by the server, never cut short. Results come back
// in text format and are converted on access (bytea decoded from hex, numerics parsed).
// A query's whole result is fetched on its first next(); nested queries on one connection are
// therefore fine.
#include "server/store/pg/pg_error.hpp"
#include "server/store/pg/pg_sql.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct pg_conn;
struct pg_result;

namespace civic::store::pg {

class Conn;
struct SentResult;  // a sent query's result, once its pipeline is read (pg_conn.cpp)

class Query {
public:
    Query(Query&&) noexcept;
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    Query& operator=(Query&&) = delete;
    ~Query();

    Query& bind(int index, std::int64_t value);
    Query& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Query& bind(int index, bool value) { return bind(index, static_cast<std::int64_t>(value ? 1 : 0)); }
    Query& bind(int index, double value);
    Query& bind(int index, std::string_view value);
    Query& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
    Query& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
    Query& bind(int index, std::nullptr_t);
    Query& bind_blob(int index, std::string_view bytes);
    // A NULL of type bytea (a blob column's NULL, so that a statement keeps one parameter type).
    Query& bind_null_blob(int index) { return bind_null_as(index, Type::bytea); }
    template <class T>
    Query& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind_null_as(index, type_of<T>());
    }
    // Binds every argument in order, starting at parameter 1.
    template <class... Args>
    Query& args(const Args&... values) {
        int i = 0;
        (bind(++i, values), ...);
        return *this;
    }

    // Runs the statement on the first call, then advances to the next row; false when done.
    // Throws PgError on failure.
    bool next();
    // Runs a statement that returns no rows (or ignores them).
    void run();
    // Rows inserted, updated or deleted by the statement (after next()/run()).
    std::int64_t changes() const;
    // For a statement whose rows are not needed, only a verdict on how many it changed: queues it
    // to go out with the connection's next statement, in one round trip (see Conn's deferred
    // statements). The Query is spent; binding again starts afresh.
    void run_deferred(std::function<void(std::int64_t changes)> check = {});
    // Queues the statement as run_deferred does, its rows kept: next()/run() read them, sending
    // what waits first if it still waits. A few queries sent, then one run, cost one round trip.
    void send();

    int columns() const;
    bool is_null(int col) const;
    // Integers (int2/4/8, numeric without a fraction, bool as 0/1); a real is truncated.
    std::int64_t int64(int col) const;
    double real(int col) const;
    std::string text(int col) const;  // the column's text; bytea decoded to its raw bytes
    std::string blob(int col) const;  // the same as text(): bytea decoded, others as text
    std::optional<std::int64_t> opt_int64(int col) const;
    std::optional<std::string> opt_text(int col) const;
    std::optional<double> opt_real(int col) const;
    std::optional<std::string> opt_blob(int col) const;

private:
    friend class Conn;
    enum class Type : char { unset = '-', null = 'n', int8 = 'i', float8 = 'd', text = 't', bytea = 'b' };
    template <class T>
    static constexpr Type type_of() {
        if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
            return Type::float8;
        } else if constexpr (std::is_integral_v<T>) {
            return Type::int8;
        } else {
            return Type::text;
        }
    }
    Query& bind_null_as(int index, Type type);
    struct Param {
        Type type = Type::unset;
        bool null = false;
        std::string bytes;  // binary representation
    };
    Query(Conn& conn, std::shared_ptr<const TranslatedSql> sql);
    Param& slot(int index);
    void execute();
    // The result that send()'s pipeline brought back.
    void take_sent();
    const char* cell(int col) const;
    void check_row(int col) const;

    Conn* conn_;
    std::shared_ptr<const TranslatedSql> sql_;
    std::vector<Param> params_;
    pg_result* result_ = nullptr;
    int row_ = -1;
    int rows_ = 0;
    bool executed_ = false;
    std::shared_ptr<SentResult> sent_;  // send()'s, until next()/run() takes it
};

// Why libpq cannot parse `conninfo` (a keyword/value string or a postgresql:// URI), in one
// line; "" when it can. Checks the syntax only: nothing is connected.
std::string conninfo_error(const std::string& conninfo);

class Conn {
public:
    struct Options {
        std::string conninfo;                         // a libpq keyword/value string or postgresql:// URI
        int lock_timeout_ms = 5000;                   // SET lock_timeout (0 = wait for ever)
        std::string application_name = "civicsnapd";  // unless the conninfo says otherwise
        int connect_timeout_s = 10;                   // unless the conninfo says otherwise
        std::string settings = {};                    // more `SET …;` statements, run once at connect
    };
    explicit Conn(Options options);
    explicit Conn(const std::string& conninfo) : Conn(Options{conninfo}) {}
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;
    ~Conn();

    Query query(std::string_view sql);
    // One or more statements without parameters (simple query protocol); results discarded.
    void exec(std::string_view sql);
    // A statement without parameters or rows whose outcome can wait (BEGIN, SAVEPOINT): nothing is
    // sent now; it goes out with the next statement, in one pipeline (one round trip for both),
    // and its error, if any, is thrown there.
    void exec_with_next(std::string_view sql);
    // Deferred statements (Query::run_deferred), inside a transaction only: each waits, as
    // exec_with_next's do, for the next statement, exec, commit or flush, and goes out in its
    // pipeline. There, in the statements' order, `check` is called with the rows it changed
    // (and may throw to refuse them); the first failure — a statement's error, after which the
    // server skips the rest, or a check's exception — is thrown by the call that sent them.
    // A check must not use the connection. COMMIT waits for the checks' verdicts (a round trip
    // of their own); a SAVEPOINT too, so that a verdict is never thrown inside a savepoint taken
    // after its statement. A rollback drops what it undoes unsent. At most kMaxWaiting wait: the
    // next one sends them first.
    static constexpr std::size_t kMaxWaiting = 256;
    //
    // flush: sends what waits, if a deferred statement does, and throws its first failure.
    void flush();
    // flush(), if a deferred statement with a check waits: the verdicts commit() waits for.
    void await_verdicts();
    // ROLLBACK: what waits is dropped unsent — everything, when BEGIN is still among it (then
    // nothing reached the server and nothing is sent).
    void rollback();
    // ROLLBACK TO and RELEASE of savepoint `name`: dropped unsent if its SAVEPOINT still waits,
    // together with everything after it; otherwise what waits (all after it) is dropped.
    void rollback_to_savepoint(std::string_view name);
    // `COPY … FROM STDIN` (bulk load): sends `sql`, then what `fill` appends to its (cleared)
    // buffer, in the statement's format, until `fill` returns false; returns the rows copied.
    // Throws PgError when the server refuses the statement or its data; when `fill` throws, the
    // COPY is ended with an error (the server discards the statement) and the exception goes on.
    std::int64_t copy_in(std::string_view sql, const std::function<bool(std::string&)>& fill);
    // COMMIT, and throws if the transaction had failed (PostgreSQL then answers COMMIT with a
    // rollback, not an error) or the commit itself failed (e.g. 40001 under SERIALIZABLE).
    // Deferred statements without a check (and sent queries) go out with it, in one round trip;
    // the first one's failure is then thrown, and COMMIT was skipped (the transaction stays, failed).
    void commit();
    // Rows changed by the last statement that ran on this connection through query().
    std::int64_t changes() const { return changes_; }

    // The NOTICEs the server sent during the current (or last) transaction, as their primary
    // messages, oldest first: cleared when a transaction begins (exec_with_next("BEGIN") or
    // exec of a BEGIN), at most kMaxNotices kept. notices_inexact(): they do not tell exactly what
    // the transaction did — some were dropped past kMaxNotices, or it rolled back to a savepoint
    // (what the undone statements said is still among them).
    static constexpr std::size_t kMaxNotices = 64;
    const std::vector<std::string>& notices() const { return notices_; }
    bool notices_inexact() const { return notices_inexact_; }

    // False once the connection broke (the server ended it, the network failed), or once the
    // server said it is ending it (a FATAL or PANIC message while idle), whose close may lag.
    bool ok() const;
    // ok(), after reading without blocking whatever the server sent while the connection was
    // idle: a backend that was terminated has sent its FATAL error (that alone says no) and then
    // closes the socket.
    // (A peer that vanished without closing, as in a network partition, is not seen here.)
    bool alive();
    int server_version() const;  // server_version_num, e.g. 150018
    int backend_pid() const;
    // Inside BEGIN … COMMIT (including a failed transaction, and a BEGIN not sent yet).
    bool in_transaction() const;
    std::size_t prepared_statements() const { return statements_.size(); }
    pg_conn* raw() { return conn_; }

    // LISTEN support (store/cluster_events): the socket to wait on; what arrived read without
    // blocking (false: the connection broke); then the notifications read so far, oldest first
    // (libpq also collects those that arrive while a query runs).
    struct Notification {
        std::string channel;
        std::string payload;
        int sender_pid = 0;
    };
    int socket() const;
    bool consume_input();
    std::optional<Notification> next_notification();
    [[noreturn]] void fail(pg_result* result, std::string_view what);

    // Without a waiter libpq blocks the calling thread until the server answers. A job that must
    // not block its thread (a fiber on an I/O thread, store/pg_io_jobs.hpp) sets one: every
    // answer is then read only once the socket has it, after waiter.readable() returned. Sends
    // still block, briefly, on a full socket buffer (statements are small; the kernel's buffer
    // holds many).
    class Waiter {
    public:
        // Returns once `conn`'s socket() may have something to read; throws PgError to abandon.
        virtual void readable(Conn& conn) = 0;

    protected:
        ~Waiter() = default;
    };
    void set_waiter(Waiter* waiter) { waiter_ = waiter; }
    // The waiter's own state for this connection (its socket's registration with an I/O thread):
    // kept as long as the connection, and destroyed before the connection closes.
    class Attachment {
    public:
        virtual ~Attachment() = default;
        virtual const void* home() const = 0;  // what it is registered with
    };
    Attachment* attachment() const { return attachment_.get(); }
    void attach(std::unique_ptr<Attachment> attachment) { attachment_ = std::move(attachment); }

private:
    friend class Query;
    struct Statement {
        std::string name;
        int parameters = 0;
    };
    // What waits for the next round trip: transaction control (exec_with_next) or a deferred
    // statement with its parameters and check.
    struct Waiting {
        std::string command;                   // BEGIN / SAVEPOINT …; empty for a statement
        const Statement* statement = nullptr;  // run_deferred's or send()'s
        std::vector<Query::Param> params;
        std::function<void(std::int64_t)> check;
        std::shared_ptr<SentResult> sent;  // send()'s: where its result goes
    };
    // One statement to send: a prepared one with its parameters (binary), or a command's text.
    struct Outgoing {
        const Statement* statement = nullptr;
        const char* command = nullptr;
        std::vector<const char*> values;
        std::vector<int> lengths;
        std::vector<int> formats;
    };
    static Outgoing outgoing(const Statement& statement, const std::vector<Query::Param>& params);
    // A parameter's type as sent: unbound parameters are NULL, as in SQLite.
    static Query::Type bound_type(Query::Type type);
    // The statement prepared for `q`'s SQL and its parameters' types (once per connection).
    const Statement& prepare(const Query& q);
    void defer(Waiting statement);
    bool statements_waiting() const;
    bool checks_waiting() const;
    // The transaction control exec_with_next() kept, joined for the simple query protocol ("" if
    // none); only when no deferred statement waits.
    std::string take_waiting();
    // Sends everything waiting, then `last` if given, then one Sync (one round trip), and reads
    // it all back; throws the first failure (see flush). Returns last's result, the caller's.
    pg_result* send_pipeline(const Outgoing* last);
    // Runs a prepared statement, after the waiting statements in the same pipeline if any.
    pg_result* exec_prepared(const Outgoing& statement);
    // libpq's next result, waited for through the waiter if there is one (see Waiter).
    pg_result* next_result();
    // The results of what was just sent, up to libpq's end of them; returns the last (the
    // error, if one stopped the statements) as PQexec does. Null if the connection broke first.
    pg_result* last_result();
    // `text` by the simple query protocol: PQexec, waiting through next_result().
    pg_result* exec_text(const std::string& text);

    static void receive_notice(void* self, const pg_result* notice);
    void forget_notices();

    pg_conn* conn_ = nullptr;
    std::int64_t changes_ = 0;
    std::vector<std::string> notices_;
    bool notices_inexact_ = false;
    bool server_said_goodbye_ = false;  // a FATAL or PANIC arrived while idle: the server is closing
    // SQL as written → translated (shared with the queries using it).
    std::unordered_map<std::string, std::shared_ptr<const TranslatedSql>> translated_;
    // translated SQL + '\0' + parameter type signature → prepared statement.
    std::unordered_map<std::string, Statement> statements_;
    std::vector<Waiting> waiting_;  // exec_with_next() and deferred statements, not sent yet
    Waiter* waiter_ = nullptr;
    std::unique_ptr<Attachment> attachment_;
};

// Runs `fn` inside BEGIN … COMMIT on `conn`, rolling back if it throws (no retry: see Pool).
template <class F>
auto in_transaction(Conn& conn, F&& fn) {
    conn.exec("BEGIN");
    try {
        if constexpr (std::is_void_v<decltype(fn())>) {
            fn();
            conn.commit();
        } else {
            auto result = fn();
            conn.commit();
            return result;
        }
    } catch (...) {
        if (conn.ok()) {
            try {
                conn.rollback();
            } catch (const PgError&) {
            }
        }
        throw;
    }
}

}  // namespace civic::store::pg
