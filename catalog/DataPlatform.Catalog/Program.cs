using System.Globalization;
using DataPlatform.Catalog;

// "seed" loads the sample datasets into the configured database (production), "generate <rows> <file>"
// writes a synthetic CSV for benchmarks; with no command the catalog serves.
switch (args)
{
    case ["seed", .. var rest]:
        {
            await using var app = CatalogHost.Build(rest);
            var loaded = await CatalogHost.SeedSampleDataAsync(app.Services, CancellationToken.None);
            Console.WriteLine($"Loaded {loaded} sample dataset(s).");
            return 0;
        }

    case ["generate", var rows, var path, ..]:
        CatalogHost.GenerateBenchmarkCsv(path, long.Parse(rows, CultureInfo.InvariantCulture));
        Console.WriteLine($"Wrote {rows} rows to {path}.");
        return 0;

    default:
        await CatalogHost.Build(args).RunAsync();
        return 0;
}
