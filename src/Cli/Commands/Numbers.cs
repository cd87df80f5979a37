using System.CommandLine;
using System.Globalization;

namespace Plansmith.Cli.Commands;

/// <summary>Number options whose errors name the flag and say what it takes, not a .NET type.</summary>
internal static class Numbers
{
    public static Option<int?> WholeNumber(string name, string description, int minimum, int maximum)
    {
        var option = new Option<int?>(name)
        {
            Description = $"{description} A whole number from {minimum} to {maximum:N0}.",
            CustomParser = result =>
            {
                var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
                if (!int.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
                {
                    result.AddError($"{name} takes a whole number from {minimum} to {maximum:N0}; '{token}' is not one. Example: {name} {Math.Max(minimum, 1)}");
                    return null;
                }

                if (value < minimum || value > maximum)
                {
                    result.AddError($"{name} must be from {minimum} to {maximum:N0}; {value} is out of range.");
                    return null;
                }

                return value;
            },
        };
        return option;
    }
}
