using System.Runtime.InteropServices;
using DataPlatform.AppHost;

// People read the launcher's log, so it is plain text unless configured otherwise; each service run alone
// logs JSON for machines.
var settings = new Dictionary<string, string?>();
if (Environment.GetEnvironmentVariable("Logging__Console__FormatterName") is null)
{
    settings["Logging:Console:FormatterName"] = "simple";
    settings["Logging:Console:FormatterOptions:SingleLine"] = "true";
    settings["Logging:Console:FormatterOptions:TimestampFormat"] = "HH:mm:ss ";
    settings["Logging:Console:FormatterOptions:UseUtcTimestamp"] = "false";
    // The banner below lists every address; each host's own start-up lines would repeat it three times.
    settings["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning";
}

// The launcher, not each host, answers Ctrl+C and SIGTERM, so that it can tell a stop asked for from a service
// that stopped on its own (see PlatformRunner).
using var stop = new CancellationTokenSource();
void RequestStop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, RequestStop);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, RequestStop);

await using var platform = await PlatformLauncher.StartAsync(args, settings, stop.Token);

var gateway = platform.GatewayUrl.TrimEnd('/');
var redis = platform.EmbeddedRedis is null
    ? "configured Redis"
    : $"embedded Garnet on {platform.RedisConnectionString} (data in {Path.Combine(platform.Options.DataDirectoryPath, "redis")})";
var database = platform.Options.UsesSqlite
    ? $"SQLite files in {platform.Options.DataDirectoryPath}"
    : "configured PostgreSQL";

// Billing writes these on first start in embedded mode; the key and the password exist nowhere else in clear.
var demoKeyFile = Path.Combine(platform.Options.DataDirectoryPath, "demo-api-key.txt");
var adminFile = Path.Combine(platform.Options.DataDirectoryPath, "admin-sign-in.txt");
var demoKey = File.Exists(demoKeyFile) ? File.ReadAllText(demoKeyFile).Trim() : null;
var adminLines = File.Exists(adminFile) ? File.ReadAllLines(adminFile) : [];
var access = (demoKey is null ? "" : $"\n  Demo API key         {demoKey}  (from {demoKeyFile})")
    + (adminLines.Length >= 2 ? $"\n  Admin sign-in        {adminLines[0]} / {adminLines[1]}  (POST {gateway}/api/v1/account/sign-in)" : "");

Console.WriteLine($"""

    DataPlatform is running.
      Gateway (public)     {gateway}
      Portal (browser)     {gateway}/
      API documentation    {gateway}/swagger
      Health               {gateway}/health/ready
      Catalog (internal)   {platform.CatalogUrl}
      Billing (internal)   {platform.BillingUrl}
      Portal (internal)    {platform.PortalUrl}
      Redis                {redis}
      Database             {database}{access}
    Press Ctrl+C to stop.

    """);

var exitCode = await PlatformRunner.RunAsync(platform, Console.Error, stop.Token);
Console.WriteLine(exitCode == PlatformRunner.Stopped ? "DataPlatform stopped." : "DataPlatform stopped after a service failed.");
return exitCode;
