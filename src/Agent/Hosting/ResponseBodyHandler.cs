using System.Net;
using Plansmith.Agent.Planning;

namespace Plansmith.Agent.Hosting;

/// <summary>
/// The innermost handler of the model client, run once per attempt: it makes the time limits
/// cover response bodies, not only headers. An ordinary body is read in full inside the attempt,
/// so a slow or cut-off body is an attempt that failed (and is retried) rather than a problem
/// found after the resilience pipeline has let go. A streamed body (an event stream) cannot be
/// read ahead, so it is handed on behind an <see cref="EventStreamGuard"/> that enforces the
/// attempt's and the call's deadlines on every read and insists on the stream's end marker.
/// </summary>
internal sealed class ResponseBodyHandler : DelegatingHandler
{
    private static readonly HttpRequestOptionsKey<long> CallStarted = new("Plansmith.ModelCallStarted");

    private readonly TimeSpan _attemptTimeout;
    private readonly TimeSpan _totalTimeout;
    private readonly TimeProvider _time;

    public ResponseBodyHandler(TimeSpan attemptTimeout, TimeSpan totalTimeout, TimeProvider timeProvider)
    {
        _attemptTimeout = attemptTimeout;
        _totalTimeout = totalTimeout;
        _time = timeProvider;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var attemptStarted = _time.GetTimestamp();

        // Retries resend the same request message, so the first attempt's mark is the call's start.
        if (!request.Options.TryGetValue(CallStarted, out var callStarted))
        {
            callStarted = attemptStarted;
            request.Options.Set(CallStarted, callStarted);
        }

        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        try
        {
            if (response.IsSuccessStatusCode && MediaType(response) is "text/html")
            {
                throw new ModelResponseException(
                    ModelResponseFault.NotAChatCompletion,
                    $"The model endpoint answered {(int)response.StatusCode} with an HTML page, not a chat completion (a proxy, gateway or login page?). Check the endpoint URL; it should end in /v1 for OpenAI-compatible servers.");
            }

            if (IsEventStream(response))
            {
                var attemptLeft = _attemptTimeout - _time.GetElapsedTime(attemptStarted);
                var totalLeft = _totalTimeout - _time.GetElapsedTime(callStarted);
                var (left, fault, limit) = totalLeft < attemptLeft
                    ? (totalLeft, ModelResponseFault.TotalTimeout, _totalTimeout)
                    : (attemptLeft, ModelResponseFault.AttemptTimeout, _attemptTimeout);
                response.Content = new GuardedContent(response.Content, stream => new EventStreamGuard(stream, left, fault, limit, _time));
            }
            else
            {
                // The attempt's token carries the attempt and total timeouts: reading the body under
                // it makes a trickled body time out like a slow header, and a cut one fail like a
                // dropped connection — both retried by the pipeline.
                await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode && await ErrorInBodyAsync(response, cancellationToken).ConfigureAwait(false) is { } error)
                {
                    throw new ModelResponseException(ModelResponseFault.ErrorEvent, $"The model endpoint answered {(int)response.StatusCode} with an error instead of a completion: {error}");
                }

                // Read on as if from the network: a seekable buffer makes the SDK refuse a body that
                // a streaming call already read (a non-stream answer to a streaming request).
                response.Content = new GuardedContent(response.Content, stream => new ForwardOnlyStream(stream));
            }

            return response;
        }
        catch (Exception ex) when (ex is IOException and not ModelResponseException && !cancellationToken.IsCancellationRequested)
        {
            response.Dispose();
            throw new HttpRequestException(HttpRequestError.ResponseEnded, $"The model endpoint's response was cut off before its end ({ex.Message}).", ex, response.StatusCode);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private static string? MediaType(HttpResponseMessage response) => response.Content.Headers.ContentType?.MediaType?.ToLowerInvariant();

    private static bool IsEventStream(HttpResponseMessage response) =>
        response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NoContent && MediaType(response) is "text/event-stream";

    /// <summary>The message of an <c>{"error": …}</c> body without choices, or null for anything else.</summary>
    private static async Task<string?> ErrorInBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var start = body.AsSpan().TrimStart(" \t\r\n"u8);
        if (start.IsEmpty || start[0] != (byte)'{' || start.IndexOf("\"error\""u8) < 0)
        {
            return null;
        }

        return EventStreamGuard.ErrorMessage(start, flaggedByEvent: false);
    }

    /// <summary>A stream that can only be read forward, like a body from the network.</summary>
    private sealed class ForwardOnlyStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => inner.Read(buffer);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>A response body read through a wrapper stream, with the original's headers.</summary>
    private sealed class GuardedContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly Func<Stream, Stream> _wrap;

        public GuardedContent(HttpContent inner, Func<Stream, Stream> wrap)
        {
            _inner = inner;
            _wrap = wrap;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            _wrap(await _inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            using var source = await CreateContentReadStreamAsync(cancellationToken).ConfigureAwait(false);
            await source.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
