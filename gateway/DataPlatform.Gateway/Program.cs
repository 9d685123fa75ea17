using DataPlatform.Gateway;

await GatewayHost.Build(args).RunAsync();
