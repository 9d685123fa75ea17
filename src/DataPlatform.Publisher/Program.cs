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

var root = new RootCommand("Publishes datasets to DataPlatform, the open-data platform of the Ministry of Home Affairs.") { publish };
return await root.Parse(args).InvokeAsync();
