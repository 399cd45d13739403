#include "support/s3_server.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <vector>

namespace civic::test {

namespace {

std::string script_path() {
#ifdef CIVIC_S3_SERVER_SCRIPT
    return CIVIC_S3_SERVER_SCRIPT;
#else
    return (std::filesystem::path(__FILE__).parent_path() / "s3_server.sh").string();
#endif
}

// Runs the script with `args`; its output goes to ours. Returns its exit status.
int run_script(const std::vector<std::string>& args) {
    std::vector<std::string> argv_s = {"/bin/bash", script_path()};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        std::vector<char*> argv;
        for (auto& a : argv_s) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        _exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string g_reason;
std::unique_ptr<S3Server> g_server;
std::string g_own_dir;  // set when this process started the server itself

void stop_own_server() {
    if (g_own_dir.empty()) return;
    run_script({"stop", g_own_dir});
    std::error_code ec;
    std::filesystem::remove_all(g_own_dir, ec);
}

}  // namespace

bool S3Server::load() {
    std::ifstream in(dir_ + "/s3.env");
    if (!in) return false;
    std::map<std::string, std::string> env;
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
    }
    endpoint_ = S3Endpoint{env["S3_ENDPOINT"], env["S3_REGION"], env["S3_BUCKET"], env["AWS_ACCESS_KEY_ID"],
                           env["AWS_SECRET_ACCESS_KEY"]};
    return !endpoint_.endpoint.empty() && !endpoint_.bucket.empty();
}

S3Server* S3Server::shared() {
    static bool tried = false;
    if (tried) return g_server.get();
    tried = true;
    auto server = std::unique_ptr<S3Server>(new S3Server());
    if (const char* dir = std::getenv("CIVIC_S3_INSTANCE_DIR"); dir && *dir) {
        // Started by the ctest fixture (or by hand with the script).
        server->dir_ = dir;
        if (server->load()) {
            g_server = std::move(server);
            return g_server.get();
        }
    }
    if (run_script({"available"}) != 0) {
        g_reason = "python3-swift is not installed (scripts/setup installs it): no S3 server to test against";
        return nullptr;
    }
    char tmpl[] = "/tmp/civicsnap-s3-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    g_own_dir = tmpl;
    std::atexit(stop_own_server);
    server->dir_ = g_own_dir;
    if (run_script({"start", "--fresh", g_own_dir}) != 0 || !server->load()) {
        g_reason = "the S3 server did not start (logs in " + g_own_dir + "/log)";
        return nullptr;
    }
    g_server = std::move(server);
    return g_server.get();
}

const std::string& S3Server::unavailable_reason() { return g_reason; }

void S3Server::stop_endpoint() {
    if (run_script({"stop", dir_, "proxy"}) != 0) throw std::runtime_error("s3_server.sh stop failed");
}

void S3Server::start() {
    if (run_script({"start", dir_}) != 0 || !load()) throw std::runtime_error("s3_server.sh start failed");
}

}  // namespace civic::test
