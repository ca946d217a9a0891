namespace Privacy.Api.Tests.Infrastructure;

/// <summary>Fresh subjects, so tests sharing a database never see each other's data.</summary>
public static class TestSubjects
{
    public static string NewCustomer() => Random.Shared.NextInt64(1_000_000, 9_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
