using System.Net;
using System.Net.Sockets;
using Privacy.Api.Platform.Security;

namespace Privacy.Api.Tests.Infrastructure;

/// <summary>Real connections to the service on Kestrel from a chosen source address (any 127.x address is this machine).</summary>
public static class LoopbackClient
{
    /// <summary>A client for <paramref name="baseUrl"/> whose connections come from <paramref name="source"/>, sending <paramref name="key"/> (none when null).</summary>
    public static HttpClient From(string baseUrl, string source, string? key)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = new Uri(baseUrl) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add(ApiKeyOptions.HeaderName, key);
        }

        return client;
    }
}
