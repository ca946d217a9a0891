using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Privacy.Api.Platform.Security;

/// <summary>Forwarded headers from the proxies <see cref="TrustedProxyOptions"/> lists, and from no one else.</summary>
public static class TrustedProxies
{
    public static WebApplicationBuilder AddTrustedProxies(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TrustedProxyOptions>().BindConfiguration(TrustedProxyOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TrustedProxyOptions>, TrustedProxiesAreAddresses>();
        return builder;
    }

    /// <summary>
    /// First in the pipeline, so the rate limiter, the consent proof and the logs see the forwarded client. Its own options
    /// instance, not the shared <see cref="ForwardedHeadersOptions"/> the framework's switch would configure.
    /// </summary>
    public static WebApplication UseTrustedProxies(this WebApplication app)
    {
        var trusted = app.Services.GetRequiredService<IOptions<TrustedProxyOptions>>().Value;
        if (trusted.IsEmpty)
        {
            return app;
        }

        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            // From the right, one entry per trusted hop; the first address that is no trusted proxy is the client, so entries a
            // client wrote itself before the proxy's are never reached.
            ForwardLimit = null,
        };
        options.KnownProxies.Clear(); // the defaults trust loopback: only what is configured is trusted
        options.KnownIPNetworks.Clear();
        foreach (var proxy in trusted.KnownProxies)
        {
            options.KnownProxies.Add(IPAddress.Parse(proxy));
        }

        foreach (var network in trusted.KnownNetworks)
        {
            options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        }

        app.UseForwardedHeaders(options);
        return app;
    }
}

/// <summary>
/// Every entry parses, or the service does not start; and the framework's switch is refused: it clears the known proxies and
/// networks and trusts <c>X-Forwarded-For</c> from any caller, who could then pick its own rate-limit budget and proof address.
/// </summary>
internal sealed class TrustedProxiesAreAddresses(IConfiguration configuration) : IValidateOptions<TrustedProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, TrustedProxyOptions options)
    {
        var failures = new List<string>();
        if (string.Equals("true", configuration[TrustedProxyOptions.FrameworkSwitch], StringComparison.OrdinalIgnoreCase))
        {
            failures.Add("ASPNETCORE_FORWARDEDHEADERS_ENABLED (ForwardedHeaders_Enabled) trusts X-Forwarded-For from any caller: remove it and " +
                         "list the proxies in ForwardedHeaders:KnownProxies or ForwardedHeaders:KnownNetworks instead.");
        }

        // Named by the configuration's own keys (ForwardedHeaders:KnownProxies:3), which the bound lists no longer know.
        var proxies = configuration.GetSection($"{TrustedProxyOptions.Section}:{nameof(options.KnownProxies)}");
        var networks = configuration.GetSection($"{TrustedProxyOptions.Section}:{nameof(options.KnownNetworks)}");
        foreach (var list in new[] { proxies, networks }.Where(l => !string.IsNullOrEmpty(l.Value)))
        {
            failures.Add($"{list.Path} is a list: give each entry its own index ({list.Path}:0, :1 …; " +
                         $"{list.Path.Replace(":", "__", StringComparison.Ordinal)}__0 in the environment).");
        }

        failures.AddRange(proxies.GetChildren().Where(e => !IsAddress(e.Value))
            .Select(e => $"{e.Path} ('{e.Value}') is not an IP address, e.g. 10.0.0.12."));
        failures.AddRange(networks.GetChildren().Where(e => !System.Net.IPNetwork.TryParse(e.Value, out _))
            .Select(e => $"{e.Path} ('{e.Value}') is not a network in CIDR notation, e.g. 10.244.0.0/16."));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>A whole address: IPAddress also takes shorthand such as <c>10.1</c> (10.0.0.1), a likely typo here.</summary>
    private static bool IsAddress(string? entry) =>
        IPAddress.TryParse(entry, out _) && (entry.Contains(':', StringComparison.Ordinal) || entry.Count(c => c == '.') == 3);
}
