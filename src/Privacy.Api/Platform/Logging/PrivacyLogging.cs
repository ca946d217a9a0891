using System.Diagnostics;

namespace Privacy.Api.Platform.Logging;

/// <summary>
/// Structured logs without personal data: one JSON object a line outside Development, the request id and the W3C trace id
/// on every line written while a request runs, and one line per request that names the route template, never the path.
/// </summary>
public static partial class PrivacyLogging
{
    /// <summary>
    /// Categories the service never lets log, at any level and whatever the configuration says: they write the request path,
    /// and paths hold customer numbers, visitor ids and whatever a caller typed in place of one (an e-mail address, an IP
    /// address). ASP.NET Core's hosting diagnostics log "Request starting HTTP/1.1 GET http://…/consent/subjects/customer/100234"
    /// and put the path into a scope (RequestPath) that every other line of the request then carries; the scope is created
    /// whenever the category is enabled at any level, so only switching it off removes it. <see cref="UseRequestLogging"/>
    /// takes its place. The route matcher logs the path at Debug ("1 candidate(s) found for the request path '…'"); the CORS service
    /// logs the Origin header; the forwarded-headers middleware logs the peer's address.
    /// </summary>
    public static readonly IReadOnlyList<string> SilencedCategories =
    [
        "Microsoft.AspNetCore.Hosting.Diagnostics",
        "Microsoft.AspNetCore.Routing.Matching.DfaMatcher",
        // Writes the request's Origin header, a value the caller chooses (the browser tests' cross-origin page found it).
        "Microsoft.AspNetCore.Cors.Infrastructure.CorsService",
        // Writes the peer's address ("Unknown proxy: …") and X-Forwarded-For values it cannot parse (the suite's log scan found it).
        "Microsoft.AspNetCore.HttpOverrides.ForwardedHeadersMiddleware",
    ];

    /// <summary>
    /// With its diagnostics category off, hosting starts a request's activity only when someone listens to its source; this
    /// listener does, without recording, so every request has a W3C trace id (the caller's traceparent when it sent one).
    /// One per process: the tests start many hosts.
    /// </summary>
    private static readonly Lazy<ActivityListener> RequestActivities = new(() =>
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    });

    public static WebApplicationBuilder AddPrivacyLogging(this WebApplicationBuilder builder)
    {
        // The W3C trace id and span id join every line's scopes, also outside requests (the relay, the sweep).
        _ = RequestActivities.Value;
        builder.Logging.Configure(options => options.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        foreach (var category in SilencedCategories)
        {
            // Added after the configuration's rules, so a configured level for the same category cannot undo it.
            builder.Logging.AddFilter(category, LogLevel.None);
        }

        // "Hosting failed to start" repeats the exception with its stack trace; Program.cs answers it instead (one line per setting to
        // fix, or the exception itself when it is not about settings). The host's critical records stay.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);

        if (builder.Environment.IsDevelopment())
        {
            // Readable lines, each followed by its scopes (trace id, request id).
            builder.Logging.AddSimpleConsole(options => options.IncludeScopes = true);
        }
        else
        {
            builder.Logging.AddJsonConsole(options =>
            {
                options.IncludeScopes = true;
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }

        return builder;
    }

    /// <summary>
    /// One line per request, "GET /consent/subjects/{subjectType}/{subjectId} answered 200 in 3.1 ms" (Information when it failed
    /// or was slow, Debug otherwise: see <see cref="LogRequest"/>), inside a
    /// scope holding the request id (<see cref="HttpContext.TraceIdentifier"/>, which problem documents answer as traceId),
    /// so every line the request writes carries it. Placed first, it sees the status the exception handler answered.
    /// </summary>
    public static WebApplication UseRequestLogging(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Privacy.Api.Requests");
        app.Use(async (context, next) =>
        {
            using var scope = logger.BeginScope(new RequestScope(context.TraceIdentifier));
            var started = Stopwatch.GetTimestamp();
            // Routing ran before this middleware; the exception handler clears the endpoint, so it is read now (its route text
            // only when a line is written: most requests' lines are at Debug, off in production).
            var endpoint = context.GetEndpoint();
            try
            {
                await next(context);
            }
            finally
            {
                // Aborted requests (the client went away) still get their line, with the status the server had set.
                var elapsed = Stopwatch.GetElapsedTime(started);
                var level = context.Response.StatusCode >= 400 || elapsed >= SlowRequest || context.RequestAborted.IsCancellationRequested
                    ? LogLevel.Information
                    : LogLevel.Debug;
                if (logger.IsEnabled(level))
                {
                    LogRequest(logger, level, context.Request.Method, RouteOf(endpoint), context.Response.StatusCode, elapsed.TotalMilliseconds,
                        context.RequestAborted.IsCancellationRequested ? " (client went away)" : "");
                }
            }
        });
        return app;
    }

    /// <summary>The endpoint's route template ("/retention/subjects/{customerNumber}/schedule"); never the path itself.</summary>
    private static string RouteOf(Endpoint? endpoint) => endpoint switch
    {
        RouteEndpoint route => "/" + route.RoutePattern.RawText?.TrimStart('/'),
        { DisplayName: { } name } => name,
        _ => "(no endpoint)",
    };

    /// <summary>A request this slow gets its line at Information even when it succeeded.</summary>
    private static readonly TimeSpan SlowRequest = TimeSpan.FromSeconds(1);

    /// <summary>
    /// At Information: failed (4xx, 5xx), slow (1 s or more) or abandoned requests. At Debug: the rest, every successful quick
    /// request (<c>Logging__LogLevel__Privacy.Api.Requests=Debug</c> logs them all). A JSON line for every request cost about
    /// 14 µs of CPU each in the benchmark harness, more than the rest of the pipeline's additions together (docs/performance.md).
    /// </summary>
    [LoggerMessage(EventId = 1330097018, Message = "{Method} {Route} answered {StatusCode} in {ElapsedMilliseconds:0.0} ms{Aborted}")]
    private static partial void LogRequest(ILogger logger, LogLevel level, string method, string route, int statusCode, double elapsedMilliseconds,
        string aborted);

    /// <summary>The request's scope: its id only (the trace id comes from the activity).</summary>
    private sealed class RequestScope(string requestId) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 1;

        public KeyValuePair<string, object?> this[int index] =>
            index == 0 ? new("RequestId", requestId) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"RequestId:{requestId}";
    }
}
