using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using Npgsql;

namespace Privacy.Api.Platform.Problems;

/// <summary>Request limits.</summary>
public sealed class RequestLimitsOptions
{
    public const string Section = "RequestLimits";

    /// <summary>Largest accepted request body in bytes (default 1 MiB); larger bodies get 413.</summary>
    public long MaxBodyBytes { get; set; } = 1024 * 1024;
}

/// <summary>Every error the service answers is an RFC 9457 problem document, without internals.</summary>
public static class ProblemHandling
{
    public static WebApplicationBuilder AddProblemHandling(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = Customize);
        // After the default writer: a client that accepts neither JSON nor problem+json still gets the problem document and its
        // status (RFC 9457 lets a server answer an error in its own format), not a 500 for want of a writer.
        builder.Services.AddSingleton<IProblemDetailsWriter, AnyAcceptProblemWriter>();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        // Binding failures (malformed JSON, wrong content type) throw, so the handler can answer them as problems.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddOptions<RequestLimitsOptions>().BindConfiguration(RequestLimitsOptions.Section).ValidateOnStart();
        return builder;
    }

    public static WebApplication UseProblemHandling(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(LimitBodySize);
        app.Use(RequireUtf8Json);
        return app;
    }

    /// <summary>
    /// JSON is UTF-8 (RFC 8259 section 8.1; application/json defines no charset). A body labelled with another charset is refused
    /// with 415 before anything reads it: the framework would transcode some (utf-16) and throw on names it does not know (a 500).
    /// A UTF-8 label is dropped, since the framework's reader takes a quoted one (<c>charset="UTF-8"</c>, as HTTP allows) for an
    /// unknown encoding and throws too.
    /// </summary>
    private static async Task RequireUtf8Json(HttpContext context, RequestDelegate next)
    {
        var hasBody = context.Request.ContentLength > 0 || context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: true };
        if (hasBody && MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var media)
            && (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))
            && media.Charset.HasValue)
        {
            var charset = HeaderUtilities.RemoveQuotes(media.Charset);
            if (!charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            {
                await WriteProblem(context, ProblemTypes.UnsupportedMediaType, "Send the body as application/json in UTF-8; no other charset is read.");
                return;
            }

            context.Request.ContentType = media.MediaType.Value;
        }

        await next(context);
    }

    private static async Task LimitBodySize(HttpContext context, RequestDelegate next)
    {
        var limit = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<RequestLimitsOptions>>().Value.MaxBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            await WriteProblem(context, ProblemTypes.PayloadTooLarge, $"The request body may be at most {limit} bytes.");
            return;
        }

        // Bodies without a length (chunked) are cut off by the server at the same limit.
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
        {
            feature.MaxRequestBodySize = limit;
        }

        await next(context);
    }

    /// <summary>Writes a problem of <paramref name="kind"/>: its status, title and type, and <paramref name="detail"/> or the kind's own.</summary>
    internal static ValueTask WriteProblem(HttpContext context, ProblemType kind, string? detail = null,
        IDictionary<string, string[]>? errors = null)
    {
        context.Response.StatusCode = kind.Status;
        var problem = errors is null
            ? new Microsoft.AspNetCore.Mvc.ProblemDetails()
            : new HttpValidationProblemDetails(errors);
        problem.Status = kind.Status;
        problem.Title = kind.Title;
        problem.Type = kind.Uri;
        problem.Detail = detail ?? kind.Detail;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }

    /// <summary>
    /// Completes every problem document, whoever wrote it: the <c>type</c> of its kind (<see cref="ProblemTypes"/>) unless the code
    /// named one, a <c>detail</c> in plain words, the route template as <c>instance</c> and the trace id.
    /// </summary>
    private static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var http = context.HttpContext;
        var status = problem.Status ?? http.Response.StatusCode;
        var errors = (problem as HttpValidationProblemDetails)?.Errors;
        var kind = ProblemTypes.Find(problem.Type);
        // The framework fills in the RFC 9110 section for the status (ProblemDetailsDefaults); that names no kind of ours.
        if (kind is null && (problem.Type is null || problem.Type.StartsWith("https://tools.ietf.org/", StringComparison.Ordinal)))
        {
            kind = ProblemTypes.ForStatus(status, errors is { Count: > 0 });
            problem.Type = kind?.Uri ?? "about:blank";
        }

        problem.Detail ??= status == StatusCodes.Status405MethodNotAllowed && http.Response.Headers.Allow.Count > 0
            ? $"This path takes only {string.Join(", ", http.Response.Headers.Allow.ToArray())}."
            : errors is { Count: > 0 } ? ValidationDetail(errors) : kind?.Detail;

        // The route template, not the path: a path holds the caller's values (customer numbers, whatever was typed in place of
        // a key), and personal data has no place in an error. The trace id identifies the occurrence.
        var endpoint = http.GetEndpoint() ?? http.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
        problem.Instance ??= (endpoint as RouteEndpoint)?.RoutePattern.RawText is { } route ? "/" + route.TrimStart('/') : null;
        problem.Extensions["traceId"] = http.TraceIdentifier;
    }

    /// <summary>The one error's message, or which fields and parameters are invalid (their names, never their values).</summary>
    private static string ValidationDetail(IDictionary<string, string[]> errors) =>
        errors.Count == 1 && errors.Single().Value is [var only]
            ? only
            : $"{errors.Count} fields or parameters are invalid ({string.Join(", ", errors.Keys.Take(10))}{(errors.Count > 10 ? ", …" : "")}); " +
              "errors says what each one must be.";
}

/// <summary>
/// Turns exceptions into problem documents: bad requests keep their 4xx status, database conflicts are
/// 409, an unreachable database is 503, anything else is a 500 that reveals nothing of the exception.
/// </summary>
internal sealed class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            case BadHttpRequestException bad when bad.InnerException is JsonException json:
                var duplicate = IsDuplicateKey(json);
                await ProblemHandling.WriteProblem(context, duplicate ? ProblemTypes.DuplicateKey : ProblemTypes.MalformedJson, errors:
                    new Dictionary<string, string[]>
                    {
                        [JsonPath(json)] = [duplicate
                            ? "Given more than once: each key may appear once in an object (which value counts would depend on who reads it)."
                            : $"Not valid JSON or not of the expected type (line {json.LineNumber}, byte {json.BytePositionInLine})."],
                    });
                return true;
            case BadHttpRequestException bad:
                var binding = BindingProblems.Describe(bad, context.Features.Get<IExceptionHandlerFeature>()?.Endpoint);
                await ProblemHandling.WriteProblem(context, binding.Kind, binding.Detail,
                    binding.Field is null ? null : new Dictionary<string, string[]> { [binding.Field] = [binding.Detail] });
                return true;
            case DbUpdateException { InnerException: PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } }:
                await ProblemHandling.WriteProblem(context, ProblemTypes.Conflict, "The change conflicts with an existing entry.");
                return true;
            case DbUpdateException { InnerException: PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation } }:
                await ProblemHandling.WriteProblem(context, ProblemTypes.Conflict,
                    "The change refers to an entry that does not exist, or removes one that is still referred to.");
                return true;
            case DbUpdateConcurrencyException:
                await ProblemHandling.WriteProblem(context, ProblemTypes.Conflict, "The entry was changed by someone else; read it again and retry.");
                return true;
            case var e when HasSqlState(e, PostgresErrorCodes.CharacterNotInRepertoire) || HasSqlState(e, PostgresErrorCodes.UntranslatableCharacter):
                // U+0000 in a text value (22021) or in JSON stored as jsonb, e.g. audit details (22P05): PostgreSQL can
                // neither store nor compare it. The caller's input, not our fault.
                await ProblemHandling.WriteProblem(context, ProblemTypes.InvalidCharacter);
                return true;
            case var e when IsDatabaseUnavailable(e) || LostItsSession(e):
                logger.LogWarning("The database is unavailable: {Error} {SqlState}", e.GetType().Name,
                    Chain(e).OfType<PostgresException>().FirstOrDefault()?.SqlState);
                context.Response.Headers.RetryAfter = "5";
                await ProblemHandling.WriteProblem(context, ProblemTypes.Unavailable, "The database is unavailable; retry shortly.");
                return true;
            case OperationCanceledException when context.RequestAborted.IsCancellationRequested:
                return true; // the client went away; nobody reads an answer
            default:
                logger.LogError(exception, "Unhandled exception on {Method} {Path}", context.Request.Method,
                    context.Features.Get<IExceptionHandlerFeature>()?.Endpoint?.DisplayName);
                await ProblemHandling.WriteProblem(context, ProblemTypes.InternalError);
                return true;
        }
    }

    /// <summary>System.Text.Json's refusal of a repeated key (AllowDuplicateProperties = false); its message names .NET types, so it is not repeated.</summary>
    private static bool IsDuplicateKey(JsonException json) => json.Message.StartsWith("Duplicate ", StringComparison.Ordinal);

    private static string JsonPath(JsonException json) =>
        string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "$" : json.Path;

    /// <summary>
    /// The database session died under the request between two statements: Npgsql completes a broken session's transaction,
    /// so the next statement fails with "Transaction is already completed" and no database error inside (the reliability
    /// suite's PostgreSQL restarts found it). Nothing was committed: retry. The service never completes a transaction twice
    /// itself, so from EF Core or Npgsql this message means the session is gone.
    /// </summary>
    private static bool LostItsSession(Exception exception) =>
        exception is InvalidOperationException { Source: "Npgsql" or "Microsoft.EntityFrameworkCore.Relational" } invalid
        && invalid.Message.Contains("already completed", StringComparison.OrdinalIgnoreCase);

    private static bool HasSqlState(Exception exception, string sqlState) =>
        Chain(exception).Any(e => e is PostgresException postgres && postgres.SqlState == sqlState);

    private static bool IsDatabaseUnavailable(Exception exception) => Chain(exception).Any(e =>
        e is NpgsqlException { IsTransient: true } or System.Net.Sockets.SocketException
            or TimeoutException and not System.Text.RegularExpressions.RegexMatchTimeoutException // a pattern's bound is not the database
        || e is PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.CrashShutdown }
        // A write that reached a standby, or a primary being demoted, during a failover: retry shortly.
        || e is PostgresException { SqlState: PostgresErrorCodes.ReadOnlySqlTransaction });

    /// <summary>The exception and its inner exceptions, outermost first.</summary>
    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }
}

/// <summary>
/// The last problem writer, for a request whose <c>Accept</c> header names no type the default writer serves (<c>text/html</c>,
/// <c>image/png</c>): the same problem document as <c>application/problem+json</c>, customised like every other.
/// </summary>
internal sealed class AnyAcceptProblemWriter(
    Microsoft.Extensions.Options.IOptions<ProblemDetailsOptions> options, Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
    : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Status ??= context.HttpContext.Response.StatusCode;
        problem.Title ??= ReasonPhrases.GetReasonPhrase(problem.Status.Value);
        options.Value.CustomizeProblemDetails?.Invoke(context);
        return new ValueTask(context.HttpContext.Response.WriteAsJsonAsync(problem, problem.GetType(), json.Value.SerializerOptions,
            "application/problem+json"));
    }
}
