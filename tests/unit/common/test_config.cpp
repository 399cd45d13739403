// Command-line parsing of the subcommands (common/config.*): each is recognised only as the first
// argument, its own flags are accepted only with it, and a missing required flag is refused.
#include "common/config.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace {

using civic::parse_args;
using civic::ParsedArgs;
using Command = ParsedArgs::Command;

TEST(ConfigArgs, SubcommandsAreTheFirstArgument) {
    EXPECT_EQ(parse_args({}).command, Command::serve);
    EXPECT_EQ(parse_args({"check", "--data-dir", "d"}).command, Command::check);
    EXPECT_EQ(parse_args({"backup", "--to", "b"}).backup_to, "b");
    EXPECT_EQ(parse_args({"routes", "--test-clock"}).command, Command::routes);
    EXPECT_TRUE(parse_args({"routes", "--test-clock"}).config.test_clock);
    EXPECT_EQ(parse_args({"sweep-photos"}).command, Command::sweep_photos);
    EXPECT_EQ(parse_args({"copy-photos", "--from", "file:a", "--to", "s3://b"}).command, Command::copy_photos);
    EXPECT_THROW(parse_args({"--demo", "routes"}), std::invalid_argument);  // not first: an argument
    EXPECT_THROW(parse_args({"unknown"}), std::invalid_argument);
}

TEST(ConfigArgs, SweepPhotosTakesOlderThanWithinBounds) {
    EXPECT_EQ(parse_args({"sweep-photos"}).older_than, 3600);
    const auto p = parse_args({"sweep-photos", "--data-dir", "d", "--photos", "file:x", "--older-than=0"});
    EXPECT_EQ(p.older_than, 0);
    EXPECT_EQ(p.config.photos, "file:x");
    EXPECT_EQ(parse_args({"sweep-photos", "--older-than", "86400"}).older_than, 86400);
    EXPECT_THROW(parse_args({"sweep-photos", "--older-than", "-1"}), std::invalid_argument);
    EXPECT_THROW(parse_args({"sweep-photos", "--older-than", "soon"}), std::invalid_argument);
    EXPECT_THROW(parse_args({"sweep-photos", "--older-than", "3153600001"}), std::invalid_argument);
    EXPECT_THROW(parse_args({"sweep-photos", "--older-than"}), std::invalid_argument);  // no value
    EXPECT_THROW(parse_args({"--older-than", "5"}), std::invalid_argument);             // not serve's flag
}

TEST(ConfigArgs, CopyPhotosNeedsFromAndTo) {
    const auto p = parse_args({"copy-photos", "--from", "file:a", "--to", "s3://b?region=r"});
    EXPECT_EQ(p.copy_from, "file:a");
    EXPECT_EQ(p.copy_to, "s3://b?region=r");
    EXPECT_TRUE(p.backup_to.empty());
    EXPECT_THROW(parse_args({"copy-photos", "--from", "file:a"}), std::invalid_argument);
    EXPECT_THROW(parse_args({"copy-photos", "--to", "s3://b"}), std::invalid_argument);
    EXPECT_THROW(parse_args({"backup", "--from", "file:a", "--to", "b"}), std::invalid_argument);
    EXPECT_THROW(parse_args({"backup"}), std::invalid_argument);
}

TEST(ConfigArgs, CopyDatabaseNeedsFromAndTo) {
    const auto p = parse_args({"copy-database", "--from", "sqlite:a.db", "--to", "postgresql://u@h/db"});
    EXPECT_EQ(p.command, Command::copy_database);
    EXPECT_EQ(p.copy_from, "sqlite:a.db");
    EXPECT_EQ(p.copy_to, "postgresql://u@h/db");
    EXPECT_THROW(parse_args({"copy-database", "--from", "sqlite:a.db"}), std::invalid_argument);
    EXPECT_THROW(parse_args({"copy-database", "--to", "postgresql://u@h/db"}), std::invalid_argument);
}

TEST(ConfigArgs, InitSecretsNeedsTheSecretsDir) {
    const auto p = parse_args({"init-secrets", "--secrets-dir", "/etc/civicsnap/secrets"});
    EXPECT_EQ(p.command, Command::init_secrets);
    EXPECT_EQ(p.config.secrets_dir, "/etc/civicsnap/secrets");
    EXPECT_THROW(parse_args({"init-secrets"}), std::invalid_argument);
    // serve takes it too (required there with PostgreSQL, checked at start); empty by default.
    EXPECT_EQ(parse_args({"--secrets-dir=/s"}).config.secrets_dir, "/s");
    EXPECT_TRUE(parse_args({}).config.secrets_dir.empty());
}

}  // namespace
