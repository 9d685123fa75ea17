using DataPlatform.Portal;

var app = PortalHost.Build(args);
await app.RunAsync();
