namespace DataPlatform.Testing;

/// <summary>
/// The real servers that <c>./test.sh</c> starts for a run and announces through environment variables.
/// Tests never skip when one is missing: they fail and say how to run them.
/// </summary>
public static class TestServers
{
    public const string RedisVariable = "DATAPLATFORM_TEST_REDIS";
    public const string PostgresVariable = "DATAPLATFORM_TEST_POSTGRES";
    public const string ChromiumVariable = "DATAPLATFORM_TEST_CHROMIUM";

    /// <summary>The redis-server the script started, as host:port.</summary>
    public static string Redis => Require(RedisVariable, "redis-server");

    /// <summary>A connection string to the throw-away PostgreSQL cluster's maintenance database.</summary>
    public static string Postgres => Require(PostgresVariable, "PostgreSQL");

    /// <summary>The Chromium executable.</summary>
    public static string Chromium => Require(ChromiumVariable, "Chromium");

    static string Require(string variable, string server) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{variable} is not set, so there is no {server} to test against. Run the suite with ./test.sh, " +
                "which installs and starts the servers and sets the variables.");
}
