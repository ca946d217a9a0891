using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Privacy.Api.Platform.OpenApi;

/// <summary>An example request body shown (and prefilled) in Swagger UI.</summary>
public sealed record RequestExampleMetadata(object Example);

public static class RequestExamples
{
    /// <summary>Documents <paramref name="example"/> as the endpoint's example request body.</summary>
    public static RouteHandlerBuilder WithRequestExample(this RouteHandlerBuilder builder, object example) =>
        builder.WithMetadata(new RequestExampleMetadata(example));
}

/// <summary>Writes the example, serialised exactly as the service reads JSON, into the operation's request body.</summary>
internal sealed class RequestExampleOperationFilter(IOptions<JsonOptions> json) : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var example = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<RequestExampleMetadata>().LastOrDefault();
        if (example is null || operation.RequestBody?.Content is not { } content)
        {
            return;
        }

        var node = JsonNode.Parse(JsonSerializer.Serialize(example.Example, example.Example.GetType(), json.Value.SerializerOptions));
        foreach (var mediaType in content.Values.OfType<OpenApiMediaType>())
        {
            mediaType.Example = node?.DeepClone();
        }
    }
}
