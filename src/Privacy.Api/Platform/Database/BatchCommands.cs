using Npgsql;

namespace Privacy.Api.Platform.Database;

/// <summary>Statements for an <see cref="NpgsqlBatch"/> with positional parameters ($1, $2, …); a null value is SQL NULL.</summary>
public static class BatchCommands
{
    public static NpgsqlBatchCommand Create(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        Add(command.Parameters, values);
        return command;
    }

    /// <summary>A single statement on <paramref name="connection"/> with the same positional parameters.</summary>
    public static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params object?[] values)
    {
        var command = new NpgsqlCommand(sql, connection);
        Add(command.Parameters, values);
        return command;
    }

    private static void Add(NpgsqlParameterCollection parameters, object?[] values)
    {
        foreach (var value in values)
        {
            // timestamptz takes UTC only: Npgsql refuses another offset while writing, which also leaves the connection unusable.
            parameters.Add(new NpgsqlParameter { Value = value is DateTimeOffset instant ? instant.ToUniversalTime() : value ?? DBNull.Value });
        }
    }
}
