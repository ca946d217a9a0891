using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Problems;
using Privacy.Api.Platform.Security;

namespace Privacy.Api.Platform.Idempotency;

/// <summary>
/// The first successful answer to a request carrying an <c>Idempotency-Key</c>, stored in the same
/// transaction as the change it made, so a retry returns that answer instead of doing the work again.
/// </summary>
public sealed class IdempotencyRecord
{
    public required string CallerKeyId { get; set; }

    public required string IdempotencyKey { get; set; }

    /// <summary>Hex SHA-256 of method, path and body: the same key with another request is refused.</summary>
    public required string RequestHash { get; set; }

    public int? StatusCode { get; set; }

    public string? ResponseBody { get; set; }

    public string? Location { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class IdempotencyRecordConfiguration : IEntityTypeConfiguration<IdempotencyRecord>
{
    public void Configure(EntityTypeBuilder<IdempotencyRecord> builder)
    {
        builder.ToTable("idempotency_records");
        builder.HasKey(r => new { r.CallerKeyId, r.IdempotencyKey });
        builder.Property(r => r.CallerKeyId).HasMaxLength(64);
        builder.Property(r => r.IdempotencyKey).HasMaxLength(255);
        builder.Property(r => r.RequestHash).HasMaxLength(64).IsFixedLength();
        builder.Property(r => r.Location).HasMaxLength(2000);
        builder.HasIndex(r => r.CreatedAt); // for the retention sweep
    }
}

/// <summary>Marks an endpoint that honours <c>Idempotency-Key</c> (documented in OpenAPI).</summary>
public sealed class IdempotentEndpointMetadata;

public static class IdempotencyFilter
{
    public const string HeaderName = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>Buffers bodies of requests that carry the header, so the filter can hash what was sent.</summary>
    public static WebApplication UseIdempotencyBuffering(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            if (context.Request.Headers.ContainsKey(HeaderName))
            {
                context.Request.EnableBuffering();
            }

            return next(context);
        });
        return app;
    }

    /// <summary>
    /// A retry with the same key and the same request returns the first answer (with
    /// <c>Idempotent-Replayed: true</c>) and changes nothing; the same key with a different request is 422.
    /// Concurrent duplicates wait for the first to finish. Only successful answers are kept.
    /// </summary>
    /// <param name="replay">
    /// For an answer that holds a secret shown once (a new API key): the answer to a retry instead of the first one, whose body
    /// is then not kept (its status and <c>Location</c> are). The secret would otherwise be stored in clear in the database.
    /// </param>
    public static RouteHandlerBuilder WithIdempotency(this RouteHandlerBuilder builder, Func<IdempotencyRecord, IResult>? replay = null) =>
        builder
            .WithMetadata(new IdempotentEndpointMetadata())
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .AddEndpointFilter(async (context, next) =>
            {
                var http = context.HttpContext;
                if (!http.Request.Headers.TryGetValue(HeaderName, out var values))
                {
                    return await next(context);
                }

                var key = values.ToString();
                if (key.Length is 0 or > 255 || key.Any(c => c is < '!' or > '~'))
                {
                    return TypedResults.ValidationProblem(new Dictionary<string, string[]>
                    {
                        [HeaderName] = ["The Idempotency-Key header must be 1–255 visible ASCII characters."],
                    });
                }

                var db = http.RequestServices.GetRequiredService<PrivacyDbContext>();
                var caller = http.User.GetActor().KeyId;
                var hash = await RequestHash(http);
                var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();

                await using var transaction = await db.Database.BeginTransactionAsync(http.RequestAborted);
                // Waits for a concurrent first request with the same key to commit or roll back.
                var reserved = await db.Database.ExecuteSqlInterpolatedAsync(
                    $"""
                     INSERT INTO privacy.idempotency_records (caller_key_id, idempotency_key, request_hash, created_at)
                     VALUES ({caller}, {key}, {hash}, {now}) ON CONFLICT DO NOTHING
                     """, http.RequestAborted);
                if (reserved == 0)
                {
                    await transaction.RollbackAsync(http.RequestAborted);
                    var first = await db.Set<IdempotencyRecord>().AsNoTracking()
                        .SingleAsync(r => r.CallerKeyId == caller && r.IdempotencyKey == key, http.RequestAborted);
                    if (first.RequestHash != hash)
                    {
                        var reused = ProblemTypes.IdempotencyKeyReused;
                        return TypedResults.Problem(statusCode: reused.Status, title: reused.Title, detail: reused.Detail, type: reused.Uri);
                    }

                    http.Response.Headers[ReplayedHeader] = "true";
                    if (first.Location is not null)
                    {
                        http.Response.Headers.Location = first.Location;
                    }

                    if (replay is not null)
                    {
                        return replay(first);
                    }

                    return first.ResponseBody is null
                        ? Results.StatusCode(first.StatusCode!.Value)
                        : Results.Content(first.ResponseBody, "application/json", Encoding.UTF8, first.StatusCode);
                }

                var result = await next(context);
                var inner = result;
                while (inner is INestedHttpResult nested)
                {
                    inner = nested.Result; // a Results<...> union wraps the result that was chosen
                }

                if (inner is IStatusCodeHttpResult { StatusCode: >= 200 and < 300 } success)
                {
                    var json = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
                    var body = replay is null && inner is IValueHttpResult { Value: { } value } ? JsonSerializer.Serialize(value, value.GetType(), json) : null;
                    var location = inner.GetType().GetProperty("Location")?.GetValue(inner) as string;
                    await db.Database.ExecuteSqlInterpolatedAsync(
                        $"""
                         UPDATE privacy.idempotency_records SET status_code = {success.StatusCode}, response_body = {body}, location = {location}
                         WHERE caller_key_id = {caller} AND idempotency_key = {key}
                         """, http.RequestAborted);
                    await transaction.CommitAsync(http.RequestAborted);
                }
                else
                {
                    await transaction.RollbackAsync(http.RequestAborted);
                }

                return result;
            });

    private static async Task<string> RequestHash(HttpContext http)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"{http.Request.Method} {http.Request.Path}{http.Request.QueryString}\n"));
        if (http.Request.Body.CanSeek)
        {
            http.Request.Body.Position = 0;
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await http.Request.Body.ReadAsync(buffer, http.RequestAborted)) > 0)
            {
                sha.AppendData(buffer, 0, read);
            }
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
