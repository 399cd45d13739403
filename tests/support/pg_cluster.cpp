#include "tests/support/pg_cluster.hpp"

#include <libpq-fe.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace civic::test {

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string tail(const std::string& text, std::size_t max = 4000) {
    return text.size() <= max ? text : "…" + text.substr(text.size() - max);
}

// A loopback port nobody listens on right now (the server may still lose a race for it: start()
// then tries another).
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("bind: " + std::string(std::strerror(errno)));
    }
    const int port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

std::string quote_ident(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

void exec_on(const std::string& conninfo, const std::string& sql) {
    PGconn* c = PQconnectdb(conninfo.c_str());
    if (PQstatus(c) != CONNECTION_OK) {
        std::string msg = PQerrorMessage(c);
        PQfinish(c);
        throw std::runtime_error("cannot connect to the test cluster: " + msg);
    }
    PQsetNoticeProcessor(
        c, [](void*, const char*) {}, nullptr);
    PGresult* r = PQexec(c, sql.c_str());
    const auto status = PQresultStatus(r);
    std::string msg = PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw std::runtime_error(sql + ": " + msg);
}

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int PgCluster::run(const std::vector<std::string>& argv, const std::string& log) const {
    uid_t uid = ::geteuid();
    gid_t gid = ::getegid();
    bool switch_user = false;
    if (::geteuid() == 0) {
        const passwd* pw = ::getpwnam(os_user_.c_str());
        if (!pw) {
            throw std::runtime_error("user '" + os_user_ +
                                     "' not found: PostgreSQL refuses to run as root; install Debian's postgresql "
                                     "package (scripts/setup), which creates it");
        }
        uid = pw->pw_uid;
        gid = pw->pw_gid;
        switch_user = true;
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out < 0) throw std::runtime_error("cannot open " + log + ": " + std::strerror(errno));
    if (switch_user && ::fchown(out, uid, gid) != 0) {
        ::close(out);
        throw std::runtime_error("cannot chown " + log + ": " + std::strerror(errno));
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(out);
        throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
    }
    if (pid == 0) {
        // Child: stdin from /dev/null, stdout and stderr to the log, nothing else inherited (a
        // server holding ctest's output pipe would keep ctest waiting), then drop root.
        const int null_in = ::open("/dev/null", O_RDONLY);
        if (null_in < 0 || ::dup2(null_in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) ::_exit(126);
        for (int fd = 3; fd < 1024; ++fd) ::close(fd);
        if (switch_user) {
            if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(126);
        }
        if (::chdir(dir_.c_str()) != 0) ::_exit(126);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::close(out);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::unique_ptr<PgCluster> PgCluster::start(Options options) {
    const auto t0 = std::chrono::steady_clock::now();
    std::unique_ptr<PgCluster> c(new PgCluster());
    c->bin_dir_ = options.bin_dir;
    c->tcp_ = options.tcp;
    c->os_user_ = options.os_user;
    if (c->os_user_.empty()) {
        if (::geteuid() == 0) {
            c->os_user_ = "postgres";
        } else if (const passwd* pw = ::getpwuid(::geteuid())) {
            c->os_user_ = pw->pw_name;
        }
    }
    if (!fs::exists(c->bin("initdb"))) {
        throw std::runtime_error(c->bin("initdb") + " not found: install Debian's postgresql (scripts/setup)");
    }
    // A short path: the server's unix socket lives here, and socket paths are limited to 107 bytes.
    char tmpl[] = "/tmp/civic-pg-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
    c->dir_ = tmpl;
    c->owned_ = true;
    if (::geteuid() == 0) {
        const passwd* pw = ::getpwnam(c->os_user_.c_str());
        if (!pw || ::chown(tmpl, pw->pw_uid, pw->pw_gid) != 0) {
            fs::remove_all(c->dir_);
            throw std::runtime_error("cannot hand " + c->dir_ + " to user '" + c->os_user_ +
                                     "' (PostgreSQL refuses to run as root; Debian's postgresql package creates it)");
        }
    }
    const std::string data = c->dir_ + "/data";
    const std::string initdb_log = c->dir_ + "/initdb.log";
    if (c->run({c->bin("initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "-N",
                "--no-instructions"},
               initdb_log) != 0) {
        const std::string log = read_file(initdb_log);
        fs::remove_all(c->dir_);
        c->stopped_ = true;
        throw std::runtime_error("initdb failed:\n" + tail(log));
    }
    const std::string server_log = c->dir_ + "/server.log";
    std::string last_log;
    for (int attempt = 0; attempt < 3; ++attempt) {
        c->port_ = c->tcp_ ? free_port() : 5432;
        {
            // postgresql.auto.conf is read last and overrides postgresql.conf; it belongs to the
            // server's user, so it is rewritten in place (owner kept).
            std::ofstream conf(data + "/postgresql.auto.conf", std::ios::trunc);
            conf << "listen_addresses = '" << (c->tcp_ ? "127.0.0.1" : "") << "'\n"
                 << "port = " << c->port_ << "\n"
                 << "unix_socket_directories = '" << c->dir_ << "'\n"
                 << "max_connections = " << options.max_connections << "\n"
                 << "fsync = off\n"
                 << "full_page_writes = off\n"
                 << "synchronous_commit = on\n"
                 // No WAL archiving or replication here: minimal WAL makes the per-test
                 // CREATE DATABASE … STRATEGY FILE_COPY cheap.
                 << "wal_level = minimal\n"
                 << "max_wal_senders = 0\n"
                 << "shared_buffers = 64MB\n"
                 << "deadlock_timeout = 100ms\n"
                 << "log_min_messages = warning\n"
                 << "log_min_error_statement = panic\n";
        }
        if (c->run({c->bin("pg_ctl"), "-D", data, "-l", server_log, "-w", "-t", "60", "start"},
                   c->dir_ + "/pg_ctl.log") == 0) {
            c->start_ms_ = ms_since(t0);
            return c;
        }
        last_log = read_file(server_log) + read_file(c->dir_ + "/pg_ctl.log");
        if (!c->tcp_) break;  // a port race is the only thing a retry can fix
    }
    // stop(), not just the directory's removal: a server that pg_ctl gave up waiting for (-t 60
    // on a loaded machine) may still be running, and would outlive its deleted directory.
    const std::string dir = c->dir_;
    c->stop();
    throw std::runtime_error("PostgreSQL did not start in " + dir + ":\n" + tail(last_log));
}

std::unique_ptr<PgCluster> PgCluster::attach(const std::string& state_file) {
    std::ifstream in(state_file);
    if (!in) throw std::runtime_error("no PostgreSQL test cluster state at " + state_file);
    std::map<std::string, std::string> kv;
    for (std::string line; std::getline(in, line);) {
        const auto eq = line.find('=');
        if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
    }
    std::unique_ptr<PgCluster> c(new PgCluster());
    c->bin_dir_ = kv["bin_dir"];
    c->dir_ = kv["dir"];
    c->os_user_ = kv["os_user"];
    c->port_ = std::atoi(kv["port"].c_str());
    c->tcp_ = kv["tcp"] == "1";
    c->start_ms_ = std::atof(kv["start_ms"].c_str());
    c->owned_ = false;
    if (c->dir_.empty() || c->port_ == 0) throw std::runtime_error("malformed test cluster state " + state_file);
    return c;
}

void PgCluster::save(const std::string& state_file) const {
    const std::string tmp = state_file + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << "dir=" << dir_ << "\nport=" << port_ << "\ntcp=" << (tcp_ ? 1 : 0) << "\nos_user=" << os_user_
            << "\nbin_dir=" << bin_dir_ << "\nstart_ms=" << start_ms_ << "\n";
        if (!out) throw std::runtime_error("cannot write " + tmp);
    }
    fs::rename(tmp, state_file);  // readers never see half a file
}

bool PgCluster::stop_from_state(const std::string& state_file) {
    if (!fs::exists(state_file)) return false;
    auto c = attach(state_file);
    c->owned_ = true;
    c->stop();
    std::error_code ec;
    fs::remove(state_file, ec);
    return true;
}

PgCluster::~PgCluster() {
    if (owned_) {
        try {
            stop();
        } catch (...) {
        }
    }
}

void PgCluster::stop() {
    if (stopped_ || !owned_) return;
    stopped_ = true;
    const std::string data = dir_ + "/data";
    if (fs::exists(data + "/postmaster.pid")) {
        // Immediate: nothing here is worth a shutdown checkpoint.
        if (run({bin("pg_ctl"), "-D", data, "-m", "immediate", "-w", "-t", "30", "stop"}, dir_ + "/pg_ctl.log") != 0) {
            // pg_ctl could not do it (e.g. its binary went): the postmaster's pid is the file's first line.
            std::ifstream pidfile(data + "/postmaster.pid");
            long pid = 0;
            if (pidfile >> pid && pid > 0) ::kill(static_cast<pid_t>(pid), SIGKILL);
        }
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

void PgCluster::restart() {
    const std::string data = dir_ + "/data";
    if (run({bin("pg_ctl"), "-D", data, "-l", dir_ + "/server.log", "-m", "fast", "-w", "-t", "60", "restart"},
            dir_ + "/pg_ctl.log") != 0) {
        throw std::runtime_error("pg_ctl restart failed:\n" + tail(read_file(dir_ + "/server.log")));
    }
}

void PgCluster::pause() {
    if (run({bin("pg_ctl"), "-D", dir_ + "/data", "-m", "fast", "-w", "-t", "60", "stop"}, dir_ + "/pg_ctl.log") != 0)
        throw std::runtime_error("pg_ctl stop failed:\n" + tail(read_file(dir_ + "/server.log")));
}

void PgCluster::resume() {
    if (run({bin("pg_ctl"), "-D", dir_ + "/data", "-l", dir_ + "/server.log", "-w", "-t", "60", "start"},
            dir_ + "/pg_ctl.log") != 0)
        throw std::runtime_error("pg_ctl start failed:\n" + tail(read_file(dir_ + "/server.log")));
}

std::string PgCluster::socket_conninfo(const std::string& dbname) const {
    return "host=" + dir_ + " port=" + std::to_string(port_) + " user=postgres dbname=" + dbname;
}

std::string PgCluster::tcp_conninfo(const std::string& dbname) const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + dbname;
}

std::string PgCluster::uri(const std::string& dbname) const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + dbname;
}

void PgCluster::admin(const std::string& sql) const { exec_on(conninfo("postgres"), sql); }

std::string PgCluster::create_database(const std::string& template_db) const {
    static std::atomic<int> counter{0};
    const std::string name = "t_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    // FILE_COPY copies the template's files (two cheap checkpoints with fsync off and minimal WAL)
    // instead of writing every page to the WAL: about three times faster for a small template.
    admin("CREATE DATABASE " + quote_ident(name) + " TEMPLATE " + quote_ident(template_db) + " STRATEGY FILE_COPY");
    return name;
}

void PgCluster::drop_database(const std::string& name) const {
    admin("DROP DATABASE IF EXISTS " + quote_ident(name) + " WITH (FORCE)");
}

void PgCluster::create_template(const std::string& name,
                                const std::function<void(const std::string& conninfo)>& fill) const {
    admin("CREATE DATABASE " + quote_ident(name) + " TEMPLATE template1");
    fill(conninfo(name));
    admin("ALTER DATABASE " + quote_ident(name) + " WITH IS_TEMPLATE true ALLOW_CONNECTIONS false");
}

PgDatabase::PgDatabase(const PgCluster& cluster, const std::string& template_db)
    : cluster_(cluster), name_(cluster.create_database(template_db)) {}

PgDatabase::~PgDatabase() {
    try {
        cluster_.drop_database(name_);
    } catch (...) {
    }
}

namespace {
std::unique_ptr<PgCluster>& shared_slot() {
    static std::unique_ptr<PgCluster> cluster;
    return cluster;
}
}  // namespace

PgCluster& shared_pg_cluster(const std::function<void(PgCluster&)>& on_start) {
    static std::once_flag once;
    std::call_once(once, [&] {
        auto& slot = shared_slot();
        if (const char* state = std::getenv("CIVIC_PG_STATE"); state && *state && fs::exists(state)) {
            slot = PgCluster::attach(state);
            return;
        }
        slot = PgCluster::start();
        std::atexit([] { shared_slot().reset(); });
        if (on_start) on_start(*slot);
    });
    return *shared_slot();
}

}  // namespace civic::test
