using System.CommandLine;
using DataPlatform.Publisher;

var file = new Argument<FileInfo>("file") { Description = "The CSV file to publish (UTF-8; comma, semicolon or tab)." };
var dataset = new Option<string>("--dataset", "-d") { Description = "The dataset's id, such as dan-so-2025.", Required = true };
var metadata = new Option<FileInfo?>("--metadata", "-m") { Description = "A JSON file with the dataset's metadata, sent first to create or update it." };
var gateway = new Option<string>("--gateway", "-g")
{
    Description = "The platform's address (or DATAPLATFORM_GATEWAY).",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DATAPLATFORM_GATEWAY") ?? "http://127.0.0.1:8080",
};
var apiKey = new Option<string?>("--api-key", "-k")
{
    Description = "An API key whose account holds the publisher role (or DATAPLATFORM_API_KEY).",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DATAPLATFORM_API_KEY"),
};

var publish = new Command("publish", "Publishes a CSV file as the dataset's new version.") { file, dataset, metadata, gateway, apiKey };
publish.SetAction((result, cancellationToken) => new PublishCommand(
    result.GetValue(gateway)!, result.GetValue(apiKey), Console.Error).RunAsync(
        result.GetValue(file)!, result.GetValue(dataset)!, result.GetValue(metadata), cancellationToken));

var createDataset = new Option<string?>("--dataset", "-d") { Description = "The new dataset's id, such as dan-so-2025." };
var createMetadata = new Option<FileInfo?>("--metadata", "-m") { Description = "A JSON file with the dataset's metadata; the flags below override its fields." };
var template = new Option<FileInfo?>("--template")
{
    Description = "Writes an example metadata file with every required field filled in, to edit, and does nothing else.",
};
var create = new Command("create", "Creates a dataset's catalog entry from a metadata file, flags, or both.")
{
    createDataset, createMetadata, template, gateway, apiKey,
};
var fieldOptions = CreateCommand.Fields.Select(field => (field.Path, Option: new Option<string?>(field.Flag) { Description = field.Description })).ToList();
foreach (var (_, option) in fieldOptions)
{
    create.Options.Add(option);
}

create.SetAction((result, cancellationToken) =>
{
    var command = new CreateCommand(result.GetValue(gateway)!, result.GetValue(apiKey), Console.Error);
    if (result.GetValue(template) is { } example)
    {
        return command.WriteTemplateAsync(example, cancellationToken);
    }

    if (result.GetValue(createDataset) is not { Length: > 0 } id)
    {
        Console.Error.WriteLine("error: --dataset is required (or --template <file> for an example of the metadata).");
        return Task.FromResult(2);
    }

    var flags = fieldOptions.Where(f => result.GetValue(f.Option) is not null).ToDictionary(f => f.Path, f => result.GetValue(f.Option)!);
    return command.RunAsync(id, result.GetValue(createMetadata), flags, cancellationToken);
});

var root = new RootCommand("Publishes datasets to DataPlatform, the open-data platform of the Ministry of Home Affairs.") { create, publish };
return await root.Parse(args).InvokeAsync();
