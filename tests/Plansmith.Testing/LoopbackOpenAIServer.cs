namespace Plansmith.Testing;

/// <summary>
/// An OpenAI-compatible HTTP server on 127.0.0.1, serving a <see cref="ScriptedModel"/> at
/// <c>/v1/chat/completions</c>. Real sockets, real HTTP: what a provider sees. The socket is bound
/// to port 0 and the port read back (a <see cref="HostileOpenAIServer"/> that always answers as the
/// model does), so no other process can take the port between choosing and binding it.
/// </summary>
public sealed class LoopbackOpenAIServer : IAsyncDisposable
{
    private readonly HostileOpenAIServer _server;

    public LoopbackOpenAIServer(ScriptedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);

        // Scripts may wait on a gate a test never opens (a hung model): dispose does not wait for them.
        _server = new HostileOpenAIServer(async r => WireReply.From(await model.AnswerAsync(r)), awaitConnectionsOnDispose: false);
    }

    public Uri BaseAddress => _server.BaseAddress;

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
