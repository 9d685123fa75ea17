using DataPlatform.Catalog;

await CatalogHost.Build(args).RunAsync();
