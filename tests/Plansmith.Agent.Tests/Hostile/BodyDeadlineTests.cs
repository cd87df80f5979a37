using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Plansmith.Agent.Hosting;
using Plansmith.Agent.Planning;

namespace Plansmith.Agent.Tests.Hostile;

/// <summary>
/// The model client's limits on a fake clock: the attempt and total timeouts bound the whole
/// response body, streamed or not; an event stream must end with its marker; an open circuit
/// makes a call wait instead of failing it. Deterministic: time moves only when the test moves it.
/// </summary>
public sealed class BodyDeadlineTests
{
    private static readonly ModelResilienceOptions Options = new()
    {
        MaxRetries = 1,
        RetryBaseDelay = TimeSpan.Zero,
        AttemptTimeout = TimeSpan.FromMinutes(2),
        TotalTimeout = TimeSpan.FromMinutes(3),
    };

    [Fact]
    public async Task EventStream_StalledPastTheAttemptTimeout_ReadFailsThen()
    {
        var time = new FakeTimeProvider();
        var body = new TrickleStream();
        using var http = ModelHttpClient.Create(Options, new Handler(_ => Response(body, "text/event-stream")), time);
        using var response = await http.SendAsync(Request(), HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64];

        body.Write("data: {\"choices\":[]}\n\n");
        Assert.True(await stream.ReadAsync(buffer) > 0);
        var stalled = stream.ReadAsync(buffer).AsTask();
        time.Advance(TimeSpan.FromMinutes(2) - TimeSpan.FromSeconds(1));
        Assert.False(stalled.IsCompleted, "the read gave up before the attempt timeout");

        time.Advance(TimeSpan.FromSeconds(1));

        var ex = await Assert.ThrowsAsync<ModelResponseException>(() => stalled);
        Assert.Equal(ModelResponseFault.AttemptTimeout, ex.Fault);
        Assert.Contains("per-attempt timeout (00:02:00)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EventStream_AfterASlowFailedAttempt_TheTotalTimeoutBinds()
    {
        var time = new FakeTimeProvider();
        var body = new TrickleStream();
        var calls = 0;
        using var http = ModelHttpClient.Create(Options, new Handler(_ =>
        {
            if (++calls == 1)
            {
                // The first attempt takes 100 s and fails: 80 s of the 3-minute total are left.
                time.Advance(TimeSpan.FromSeconds(100));
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
            }

            return Response(body, "text/event-stream");
        }), time);
        using var response = await http.SendAsync(Request(), HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        var stalled = stream.ReadAsync(new byte[64]).AsTask();

        time.Advance(TimeSpan.FromSeconds(79));
        Assert.False(stalled.IsCompleted, "the read gave up before the total timeout");
        time.Advance(TimeSpan.FromSeconds(1));

        var ex = await Assert.ThrowsAsync<ModelResponseException>(() => stalled);
        Assert.Equal(ModelResponseFault.TotalTimeout, ex.Fault);
        Assert.False(ex.IsRetryable);
        Assert.Equal(2, calls);
    }

    [Theory]
    [InlineData("data: {\"choices\":[]}\n\ndata: [DONE]\n\n", null)]
    [InlineData("data: {\"choices\":[]}\n\n", "Unterminated")]
    [InlineData("data: {\"choices\":[]}\n\ndata: {\"error\":{\"message\":\"overloaded\"}}\n\ndata: [DONE]\n\n", "ErrorEvent")]
    [InlineData("event: error\ndata: overloaded\n\ndata: [DONE]\n\n", "ErrorEvent")]
    public async Task EventStream_IsWholeOnlyWithItsEndMarkerAndNoErrorEvent(string events, string? expected)
    {
        var body = new TrickleStream();
        body.Write(events);
        body.End();
        using var http = ModelHttpClient.Create(Options, new Handler(_ => Response(body, "text/event-stream")), new FakeTimeProvider());
        using var response = await http.SendAsync(Request(), HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var read = reader.ReadToEndAsync();

        if (expected is null)
        {
            Assert.Equal(events, await read);
        }
        else
        {
            Assert.Equal(Enum.Parse<ModelResponseFault>(expected), (await Assert.ThrowsAsync<ModelResponseException>(() => read)).Fault);
        }
    }

    [Fact]
    public async Task WholeBody_StalledPastTheAttemptTimeout_IsRetried()
    {
        var time = new FakeTimeProvider();
        var calls = 0;
        using var http = ModelHttpClient.Create(Options, new Handler(_ =>
        {
            var body = new TrickleStream();
            body.Write("{\"choices\": [");
            if (++calls == 2)
            {
                body.Write("]}");
                body.End();
            }

            return Response(body, "application/json");
        }), time);

        var send = http.SendAsync(Request());
        await WaitUntilAsync(() => calls == 1);
        Assert.False(send.IsCompleted, "a body that has not arrived was accepted");
        time.Advance(TimeSpan.FromMinutes(2));
        using var response = await send;

        Assert.Equal(2, calls);
        Assert.Equal("{\"choices\": []}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OpenCircuit_CallWaitsUntilItHalfOpensInsteadOfFailing()
    {
        var time = new FakeTimeProvider();
        var arrivals = new List<DateTimeOffset>();
        using var http = ModelHttpClient.Create(
            new ModelResilienceOptions { MaxRetries = 5, RetryBaseDelay = TimeSpan.Zero, BreakerMinimumThroughput = 2, BreakDuration = TimeSpan.FromSeconds(5) },
            new Handler(_ =>
            {
                arrivals.Add(time.GetUtcNow());
                return arrivals.Count <= 2 ? new HttpResponseMessage(HttpStatusCode.InternalServerError) : Response(Whole("{}"), "application/json");
            }),
            time);

        var send = http.SendAsync(Request());
        await WaitUntilAsync(() => arrivals.Count == 2);

        // Move the clock a little at a time until the call ends (it must not end at once).
        var limit = System.Diagnostics.Stopwatch.StartNew();
        while (!send.IsCompleted && limit.Elapsed < TimeSpan.FromSeconds(10))
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Yield();
        }

        using var response = await send;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, arrivals.Count);
        Assert.True(arrivals[2] - arrivals[1] >= TimeSpan.FromSeconds(5), $"the call went on {arrivals[2] - arrivals[1]} after the circuit opened, before it half-opened");
    }

    [Theory]
    [InlineData(0.0, 5.0)]
    [InlineData(4.0, 1.0)]
    [InlineData(4.8, 0.5)]
    [InlineData(6.0, 0.5)]
    public void CircuitWait_IsTheBreakLeftButAtLeastAProbeInterval(double secondsSinceOpened, double expectedSeconds)
    {
        var time = new FakeTimeProvider();
        var clock = new ModelHttpClient.CircuitClock(time, TimeSpan.FromSeconds(5));
        clock.Opened(TimeSpan.FromSeconds(5));
        time.Advance(TimeSpan.FromSeconds(secondsSinceOpened));

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), clock.Wait());
    }

    private static HttpRequestMessage Request() => new(HttpMethod.Post, "http://model.invalid/v1/chat/completions") { Content = new StringContent("{}") };

    private static HttpResponseMessage Response(Stream body, string mediaType)
    {
        var content = new StreamContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }

    private static TrickleStream Whole(string text)
    {
        var body = new TrickleStream();
        body.Write(text);
        body.End();
        return body;
    }

    /// <summary>Polls until the client's continuations got as far as <paramref name="condition"/>; never moves the fake clock.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var limit = System.Diagnostics.Stopwatch.StartNew();
        while (!condition() && limit.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Yield();
        }

        Assert.True(condition(), "the client never got that far");
    }

    private sealed class Handler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(respond(request));
    }

    /// <summary>A body whose bytes arrive when the test writes them, and ends when it says so.</summary>
    private sealed class TrickleStream : Stream
    {
        private readonly Channel<byte[]> _pieces = Channel.CreateUnbounded<byte[]>();
        private byte[] _current = [];
        private int _offset;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public void Write(string text) => _pieces.Writer.TryWrite(Encoding.UTF8.GetBytes(text));

        public void End() => _pieces.Writer.TryComplete();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_offset == _current.Length)
            {
                if (!await _pieces.Reader.WaitToReadAsync(cancellationToken))
                {
                    return 0;
                }

                _current = await _pieces.Reader.ReadAsync(cancellationToken);
                _offset = 0;
            }

            var count = Math.Min(buffer.Length, _current.Length - _offset);
            _current.AsMemory(_offset, count).CopyTo(buffer);
            _offset += count;
            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
