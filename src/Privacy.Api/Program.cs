using Privacy.Api;

if (args is ["hash-key", var key])
{
    // Prints the hash to configure for a new API key (ApiKeys:Keys:N:Hash); the key itself is never stored.
    Console.WriteLine(Privacy.Api.Platform.Security.ApiKeyAuthentication.Hash(key));
    return;
}

var builder = WebApplication.CreateBuilder(args);
// On a developer's machine the README's address, unless they chose another: ASPNETCORE_URLS, --urls, ASPNETCORE_HTTP_PORTS or
// Kestrel endpoints (the launch profile sets none, so each of those reaches the service).
if (builder.Environment.IsDevelopment() && string.IsNullOrEmpty(builder.Configuration["urls"])
    && string.IsNullOrEmpty(builder.Configuration["http_ports"]) && string.IsNullOrEmpty(builder.Configuration["https_ports"])
    && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
{
    builder.WebHost.UseUrls("http://localhost:5080");
}

builder.AddPrivacyServices();

// Disposed even when start-up fails, so a private PostgreSQL cluster it started is stopped too.
await using var app = builder.Build();
app.UsePrivacyPipeline();
app.MapPrivacyApi();
var started = false;
app.Lifetime.ApplicationStarted.Register(() => started = true);
try
{
    // Every setting checked at once, before the host builds its hosted services (which read some of them, and would stop at the first).
    app.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
    await app.RunAsync();
}
catch (Privacy.Api.Platform.LocalPostgres.LocalPostgresUnavailableException e)
{
    // No database configured and none could be provisioned: say how to fix it, without a stack trace.
    Console.Error.WriteLine($"The service cannot start: {e.Message}");
    Environment.ExitCode = 1;
}
catch (Npgsql.NpgsqlException e) when (!started)
{
    // The database refused or could not be reached while starting (a wrong password, host or port): a setting to fix, said in one
    // line. Npgsql's messages name the server and the reason, never a row's values.
    Console.Error.WriteLine($"The service cannot start: connecting to the database (ConnectionStrings:Privacy) failed: {e.Message.Split('\n')[0]}");
    Environment.ExitCode = 1;
}
catch (Exception e) when (Privacy.Api.Platform.Hosting.StartupFailure.Lines(e) is { } lines)
{
    // Fail closed: a missing or invalid setting stops the start, one line each, without a stack trace.
    Console.Error.WriteLine($"The service cannot start in {builder.Environment.EnvironmentName}: {lines.Count} setting(s) to fix.");
    foreach (var line in lines)
    {
        Console.Error.WriteLine($"  {line}");
    }

    Environment.ExitCode = 1;
}

/// <summary>The entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
