using Npgsql;

namespace Privacy.Api.Platform.Database;

/// <summary>Statements for an <see cref="NpgsqlBatch"/> with positional parameters ($1, $2, …); a null value is SQL NULL.</summary>
public static class BatchCommands
{
    public static NpgsqlBatchCommand Create(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }
}
