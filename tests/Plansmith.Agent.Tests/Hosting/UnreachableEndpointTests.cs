using System.Net;
using System.Net.Sockets;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Hosting;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Testing;

namespace Plansmith.Agent.Tests.Hosting;

/// <summary>A model endpoint nobody listens on: the error names the address, the cause and what to check.</summary>
public sealed class UnreachableEndpointTests
{
    private static readonly ModelResilienceOptions NoRetries = new() { MaxRetries = 0, TotalTimeout = TimeSpan.FromSeconds(20) };

    [Fact]
    public async Task SendAsync_ConnectionRefused_NamesTheEndpointAndTheFix()
    {
        using var refusing = new RefusingLoopbackPort();
        var port = refusing.Port;
        using var http = ModelHttpClient.Create(NoRetries);

        var ex = await Assert.ThrowsAsync<ModelEndpointUnreachableException>(() => http.PostAsync(new Uri($"http://127.0.0.1:{port}/v1/chat/completions?api-version=1"), new StringContent("{}")));

        Assert.Equal($"could not connect to http://127.0.0.1:{port}/v1 (connection refused): is the server running? Check --endpoint (or Plansmith:Endpoint).", ex.Message);
        Assert.Equal(HttpRequestError.ConnectionError, ex.HttpRequestError);
        Assert.Equal(new Uri($"http://127.0.0.1:{port}/v1"), ex.Endpoint);
    }

    [Fact]
    public async Task RunAsync_ModelEndpointRefuses_RunFailsWithTheEndpointAndTheFix()
    {
        using var refusing = new RefusingLoopbackPort();
        var port = refusing.Port;
        using var http = ModelHttpClient.Create(NoRetries);
        var kernel = Kernel.CreateBuilder().AddOpenAIChatCompletion("m", new Uri($"http://127.0.0.1:{port}/v1/"), "sk-unused-key", httpClient: http).Build();
        using var agent = new PlanningAgent(kernel, new PlansmithOptions { UseRouter = false, MaxReflectionRounds = 0 });

        var result = await agent.RunAsync("Add one and two");

        Assert.Equal(AgentRunStatus.Failed, result.Status);
        Assert.Contains($"The model call for 'plan_create' failed: could not connect to http://127.0.0.1:{port}/v1 (connection refused): is the server running? Check --endpoint", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_ErrorThatIsNotAboutConnecting_IsNotClassified()
    {
        var other = new HttpRequestException("The response ended prematurely.", null, HttpStatusCode.BadGateway);

        Assert.Null(ModelEndpointUnreachableException.Classify(new Uri("http://127.0.0.1:1/v1/chat/completions"), other));
    }

    [Fact]
    public void Classify_UnknownHost_SaysSoAndKeepsUserInformationOut()
    {
        var failure = new HttpRequestException(HttpRequestError.NameResolutionError, "Name or service not known (nowhere.invalid:443)", new SocketException((int)SocketError.HostNotFound));

        var ex = ModelEndpointUnreachableException.Classify(new Uri("https://user:sk-secret-in-url@nowhere.invalid/v1/chat/completions?key=sk-query"), failure);

        Assert.NotNull(ex);
        Assert.Equal("could not connect to https://nowhere.invalid/v1 (host not found): is the host name right? Check --endpoint (or Plansmith:Endpoint).", ex.Message);
    }
}
