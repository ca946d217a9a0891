using System.Data.Common;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http.HttpResults;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Privacy.Api.Platform.Security;

namespace Privacy.Api.Operations;

/// <summary>Observability: OpenTelemetry metrics scraped by Prometheus at <c>/metrics</c>, and the ops dashboard's summary.</summary>
public static class OperationsApi
{
    private const string PrometheusDescription = """
        The OpenTelemetry metrics in the Prometheus text format: HTTP requests by route template (`http_server_request_duration_seconds`),
        runtime figures, and the service's own (`privacy_*`): consent events committed, open and overdue rights requests, the outbox's
        pending and dead-lettered messages and its oldest pending message's age, the retention backlog and the sweep's progress.
        When the database cannot be read the scrape still answers, with the last figures; `privacy_operations_figures_age_seconds` says how old.
        Labels hold kinds, channels, route templates and store names only, never a customer number, visitor id or e-mail address.
        The database figures are read at most once per `Operations:FiguresCacheDuration` (5 s), whatever the number of scrapers.

        It needs a key of the `metrics` role (which may call this endpoint and no other) or an ops key. Give Prometheus a metrics
        key of its own (`POST /api-keys` with `"role": "metrics"`, or `ApiKeys:Keys:N:Role=metrics`); Prometheus (2.55 or later)
        sends it with `http_headers`:

        ```yaml
        scrape_configs:
          - job_name: privacy-api
            metrics_path: /metrics
            scrape_interval: 30s
            http_headers:
              X-Api-Key:
                files: [/etc/prometheus/secrets/privacy-api-key]
        ```
        """;

    /// <summary>The service's name in telemetry (Prometheus: <c>target_info{service_name=…}</c>).</summary>
    public const string ServiceName = "privacy-api";

    public static WebApplicationBuilder AddOperations(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<OperationsOptions>().BindConfiguration(OperationsOptions.Section)
            .Validate(o => o.FiguresCacheDuration >= TimeSpan.Zero, "Operations:FiguresCacheDuration must not be negative.")
            .ValidateOnStart();
        services.AddSingleton<OperationsFigures>();
        services.AddSingleton<PrivacyMetrics>();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithMetrics(metrics => metrics
                .AddMeter(PrivacyMetrics.MeterName)
                .AddInstrumentation(provider => provider.GetRequiredService<PrivacyMetrics>()) // its instruments exist from the start
                // http.server.request.duration (and active requests), labelled by route template, never the path. Only hosting's meter:
                // AddAspNetCoreInstrumentation() also turns on routing, rate-limiting and Kestrel meters, several instruments per
                // request, which cost about 11 µs of CPU per consent-state read in the benchmark harness (0.060 against 0.049 ms).
                .AddMeter("Microsoft.AspNetCore.Hosting")
                .AddRuntimeInstrumentation()
                // The database figures have their own cache; the exporter's (300 ms of wall-clock time by default) would only hide fresh counts.
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        services.ConfigureOpenTelemetryMeterProvider((provider, metrics) => metrics.AddView(instrument => OfAnotherHost(instrument, provider)));
        services.AddSingleton<PrometheusScrape>();
        return builder;
    }

    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/metrics", Scrape)
            .WithName("ScrapeMetrics")
            .WithSummary("Prometheus scrape endpoint: the service's OpenTelemetry metrics")
            .WithDescription(PrometheusDescription)
            .WithTags("Operations")
            .Produces<string>(StatusCodes.Status200OK, "text/plain")
            .RequireAuthorization(Policies.MetricsScrapers);

        var operations = routes.MapGroup("/operations").WithTags("Operations").RequireAuthorization(Policies.Ops);
        operations.MapGet("/dashboard", Dashboard)
            .WithName("GetOperationsDashboard")
            .WithSummary("Open and overdue rights requests, the outbox's backlog and lag, the retention backlog and sweep, consent events counted")
            .WithDescription("The database figures are the ones the `/metrics` gauges report (one snapshot, reused for " +
                             "`Operations:FiguresCacheDuration`); the counts since `instanceStartedAt` are this instance's, as its counters.");
        return routes;
    }

    /// <summary>Refreshes the database figures the gauges read, then lets the exporter write the scrape.</summary>
    public static async Task Scrape(HttpContext http, OperationsFigures figures, PrometheusScrape exporter, ILogger<PrometheusScrape> logger,
        CancellationToken cancellationToken)
    {
        try
        {
            await figures.CurrentAsync(cancellationToken);
        }
        catch (DbException exception)
        {
            // The request and runtime metrics matter most while the database is in trouble: the scrape goes on with the last
            // figures read, and privacy_operations_figures_age_seconds shows how old they are. (The message names no person.)
            logger.LogWarning(exception, "Reading the operations figures failed; the scrape reports the last ones read");
        }

        await exporter.WriteAsync(http);
    }

    public static async Task<Ok<OperationsDashboard>> Dashboard(OperationsFigures figures, PrivacyMetrics metrics, CancellationToken cancellationToken)
    {
        var current = await figures.CurrentAsync(cancellationToken);
        var counted = metrics.Counted();
        return TypedResults.Ok(new OperationsDashboard(current.At, metrics.StartedAt, current.RightsRequests, current.Outbox,
            new RetentionFigures(current.RetentionDueNow, counted.LastSweep, counted.CustomersEvaluated, counted.CategoriesSwept, counted.StoreRows),
            counted.Consent));
    }

    /// <summary>
    /// Drops instruments created through another host's meter factory: a meter provider listens to every meter of its name in
    /// the process, so with several hosts in one process (the tests' factories) each would otherwise report the others' figures.
    /// </summary>
    private static MetricStreamConfiguration? OfAnotherHost(Instrument instrument, IServiceProvider provider) =>
        instrument.Meter.Scope is IMeterFactory factory && !ReferenceEquals(factory, provider.GetRequiredService<IMeterFactory>())
            ? MetricStreamConfiguration.Drop
            : null;
}

/// <summary>
/// The OpenTelemetry exporter's scrape as a request delegate for the <c>/metrics</c> route handler, which is GET only and described
/// in OpenAPI like any other endpoint (the exporter's own mapping answers every method and is missing from the document).
/// </summary>
public sealed class PrometheusScrape(IServiceProvider services)
{
    private readonly RequestDelegate _write = new ApplicationBuilder(services)
        .UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider: null, predicate: _ => true, path: null, configureBranchedPipeline: null, optionsName: null)
        .Build();

    public Task WriteAsync(HttpContext http) => _write(http);
}
