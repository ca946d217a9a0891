using Privacy.Api;

if (args is ["hash-key", var key])
{
    // Prints the hash to configure for a new API key (ApiKeys:Keys:N:Hash); the key itself is never stored.
    Console.WriteLine(Privacy.Api.Platform.Security.ApiKeyAuthentication.Hash(key));
    return;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddPrivacyServices();

// Disposed even when start-up fails, so a private PostgreSQL cluster it started is stopped too.
await using var app = builder.Build();
app.UsePrivacyPipeline();
app.MapPrivacyApi();
try
{
    await app.RunAsync();
}
catch (Privacy.Api.Platform.LocalPostgres.LocalPostgresUnavailableException e)
{
    // No database configured and none could be provisioned: say how to fix it, without a stack trace.
    Console.Error.WriteLine($"The service cannot start: {e.Message}");
    Environment.ExitCode = 1;
}

/// <summary>The entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
