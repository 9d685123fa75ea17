using DataPlatform.Billing;

await BillingHost.Build(args).RunAsync();
