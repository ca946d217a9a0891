namespace Privacy.Api.Platform.Problems;

/// <summary>One kind of problem: its stable <c>type</c> URI, the status it answers and what it means, in plain words.</summary>
/// <param name="Name">The last segment of the URI, e.g. <c>duplicate-key</c>.</param>
/// <param name="Detail">What the problem means; the <c>detail</c> of a problem document whose code gave none.</param>
public sealed record ProblemType(string Name, int Status, string Title, string Detail)
{
    public string Uri => ProblemTypes.BaseUri + Name;
}

/// <summary>
/// The kinds of problem the service answers (RFC 9457 section 3.1.1): a client branches on <c>type</c>, never on a title or a
/// detail. Every problem document carries one of these; code that does not name a kind gets the one its status stands for
/// (<see cref="ForStatus"/>). The OpenAPI document lists them all.
/// </summary>
public static class ProblemTypes
{
    /// <summary>Identifiers, not pages the service serves: stable across versions and deployments.</summary>
    public const string BaseUri = "https://privacy.smultronsites.se/problems/";

    public static readonly ProblemType Validation = new("validation", 400, "Invalid request",
        "A parameter or field is invalid; errors names each one and says what it must be.");

    public static readonly ProblemType BodyRequired = new("body-required", 400, "Body required",
        "A JSON body is required.");

    public static readonly ProblemType MalformedJson = new("malformed-json", 400, "Malformed request body",
        "The request body is not valid JSON for this endpoint, or a value has the wrong type; errors names where.");

    public static readonly ProblemType DuplicateKey = new("duplicate-key", 400, "Key given twice",
        "A key appears more than once in one JSON object; errors names it. Each key may appear once.");

    public static readonly ProblemType InvalidCharacter = new("invalid-character", 400, "Invalid character",
        "A text value holds a character that is not allowed (U+0000).");

    public static readonly ProblemType BadRequest = new("bad-request", 400, "Bad request",
        "The request could not be read, for example because its body ended early.");

    public static readonly ProblemType Unauthorized = new("unauthorized", 401, "Unauthorized",
        "No API key was sent in the X-Api-Key header, or the key is not valid.");

    public static readonly ProblemType Forbidden = new("forbidden", 403, "Forbidden",
        "The API key's role, or the recipient, system or customer it is bound to, may not do this.");

    public static readonly ProblemType NotFound = new("not-found", 404, "Not found",
        "There is no such entry, or no such path.");

    public static readonly ProblemType MethodNotAllowed = new("method-not-allowed", 405, "Method not allowed",
        "This path does not take this method; the Allow header lists those it takes.");

    public static readonly ProblemType Conflict = new("conflict", 409, "Conflict",
        "The entry's state does not allow this, or the change conflicts with an existing entry; detail says which.");

    public static readonly ProblemType RequestTimeout = new("request-timeout", 408, "Request timeout",
        "The request body arrived too slowly; send it again.");

    public static readonly ProblemType PayloadTooLarge = new("payload-too-large", 413, "Request body too large",
        "The request body is larger than this service accepts.");

    public static readonly ProblemType UnsupportedMediaType = new("unsupported-media-type", 415, "Unsupported media type",
        "Send the body as application/json.");

    public static readonly ProblemType Refused = new("refused", 422, "Refused",
        "The request is well-formed but a rule refuses it; detail says which.");

    public static readonly ProblemType IdempotencyKeyReused = new("idempotency-key-reused", 422, "Idempotency-Key reused",
        "This Idempotency-Key was already used for a different request; use a new key for a new request.");

    public static readonly ProblemType RateLimited = new("rate-limited", 429, "Too many requests",
        "This client has used up its requests for now; retry after the Retry-After seconds.");

    public static readonly ProblemType InternalError = new("internal-error", 500, "Internal error",
        "The request failed; nothing was changed. The trace id identifies it in the service's logs.");

    public static readonly ProblemType Unavailable = new("unavailable", 503, "Service unavailable",
        "The database is unavailable; nothing was changed. Retry after the Retry-After seconds.");

    /// <summary>Every kind, in the order the OpenAPI document lists them.</summary>
    public static readonly IReadOnlyList<ProblemType> All =
    [
        Validation, BodyRequired, MalformedJson, DuplicateKey, InvalidCharacter, BadRequest, Unauthorized, Forbidden, NotFound,
        MethodNotAllowed, RequestTimeout, Conflict, PayloadTooLarge, UnsupportedMediaType, Refused, IdempotencyKeyReused, RateLimited, InternalError,
        Unavailable,
    ];

    /// <summary>The kind a status stands for when the code that answered named none (a 400 with <c>errors</c> is a validation problem).</summary>
    public static ProblemType? ForStatus(int status, bool hasErrors) => status switch
    {
        400 => hasErrors ? Validation : BadRequest,
        401 => Unauthorized,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        408 => RequestTimeout,
        409 => Conflict,
        413 => PayloadTooLarge,
        415 => UnsupportedMediaType,
        422 => Refused,
        429 => RateLimited,
        500 => InternalError,
        503 => Unavailable,
        _ => null,
    };

    /// <summary>The kind with this URI, or null when the URI is not one of the catalogue's.</summary>
    public static ProblemType? Find(string? uri) => All.FirstOrDefault(t => t.Uri == uri);
}
