using System.Text;
using Microsoft.Extensions.AI;

namespace Plansmith.Agent.Planning;

/// <summary>Turns chat messages into the background text the planning prompts take.</summary>
internal static class ConversationFormat
{
    /// <summary>One line per turn (<c>User: text</c>, <c>Assistant: text</c>), oldest first; empty for no turns.</summary>
    public static string Render(IReadOnlyList<ChatMessage> conversation)
    {
        var text = new StringBuilder();
        foreach (var message in conversation)
        {
            if (string.IsNullOrWhiteSpace(message.Text))
            {
                continue;
            }

            if (text.Length > 0)
            {
                text.Append('\n');
            }

            var role = message.Role.Value;
            text.Append(char.ToUpperInvariant(role[0])).Append(role.AsSpan(1)).Append(": ").Append(message.Text.Trim());
        }

        return text.ToString();
    }

    /// <summary>Reads background text (as the <c>--context</c> option and older callers give it) as one user turn.</summary>
    public static IReadOnlyList<ChatMessage> FromText(string? context) =>
        string.IsNullOrWhiteSpace(context) ? [] : [new ChatMessage(ChatRole.User, context)];
}
