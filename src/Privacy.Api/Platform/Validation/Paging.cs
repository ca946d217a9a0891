using Microsoft.AspNetCore.Http.HttpResults;

namespace Privacy.Api.Platform.Validation;

/// <summary>The page size every paged list accepts: 1–1000, 100 when not given.</summary>
public static class Paging
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    /// <summary>The page size to use, or the 400 to answer when <paramref name="limit"/> is out of range.</summary>
    public static ValidationProblem? CheckLimit(int? limit, out int size)
    {
        size = limit ?? DefaultLimit;
        return size is < 1 or > MaxLimit
            ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"'limit' must be between 1 and {MaxLimit}."] })
            : null;
    }
}
