using System.Text;

namespace DataPlatform.Catalog.Tests.Publishing;

/// <summary>Readers during a publish see the old version or the new one, never a mix.</summary>
public abstract class AtomicSwitchTests(CatalogPlatformFixture platform)
{
    const int Rows = 5000;

    static string Version(string marker)
    {
        var csv = new StringBuilder("n,marker\n");
        for (var i = 1; i <= Rows; i++)
        {
            csv.Append(i).Append(',').Append(marker).Append('\n');
        }

        return csv.ToString();
    }

    [Fact]
    public async Task A_reader_during_a_publish_sees_the_old_version_or_the_new_one_never_a_mix()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata());
        await publisher.PublishOkAsync(id, Version("cũ"));

        using var reader = platform.CreateGatewayClient();
        var seen = new List<(int Version, HashSet<string> Markers, long RowCount, int Returned)>();
        var sawLatest = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var reading = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var page = await reader.JsonAsync($"/api/v1/datasets/{id}/rows?limit=1000&offset={Rows - 1000}");
                seen.Add((page.GetProperty("version").GetInt32(),
                    page.Rows().Select(r => r.GetProperty("marker").GetString()!).ToHashSet(),
                    page.GetProperty("rowCount").GetInt64(), page.Rows().Count()));
                if (seen[^1].Version == 3)
                {
                    sawLatest.TrySetResult();
                }
            }
        });

        await publisher.PublishOkAsync(id, Version("mới"));
        await publisher.PublishOkAsync(id, Version("mới hơn"));
        // The reader goes on until it has read the last version at least once.
        await sawLatest.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await reading;

        Assert.NotEmpty(seen);
        Assert.All(seen, s =>
        {
            Assert.Single(s.Markers);
            Assert.Equal(Rows, s.RowCount);
            Assert.Equal(1000, s.Returned);
            Assert.Equal(s.Version switch { 1 => "cũ", 2 => "mới", _ => "mới hơn" }, s.Markers.Single());
        });
        Assert.Equal(3, seen[^1].Version);
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class AtomicSwitchTests_Embedded(CatalogEmbeddedFixture platform) : AtomicSwitchTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class AtomicSwitchTests_Production(CatalogProductionFixture platform) : AtomicSwitchTests(platform);
