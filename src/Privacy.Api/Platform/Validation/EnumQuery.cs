using System.Text.Json;

namespace Privacy.Api.Platform.Validation;

/// <summary>Enum values in query strings, spelt as in JSON bodies (snake_case names; no numbers).</summary>
public static class EnumQuery
{
    /// <summary>The value named <paramref name="text"/>, null when absent; an unknown name adds an error for <paramref name="field"/>.</summary>
    public static TEnum? Parse<TEnum>(string? text, string field, Dictionary<string, string[]> errors) where TEnum : struct, Enum
    {
        if (text is null)
        {
            return null;
        }

        foreach (var value in Enum.GetValues<TEnum>())
        {
            if (Name(value) == text)
            {
                return value;
            }
        }

        errors[field] = [$"'{field}' must be one of: {string.Join(", ", Enum.GetValues<TEnum>().Select(Name))}."];
        return null;
    }

    private static string Name<TEnum>(TEnum value) where TEnum : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());
}
