using System.CommandLine;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;

namespace Plansmith.Cli.Commands;

/// <summary>Number options whose errors name the flag and say what it takes, not a .NET type.</summary>
internal static class Numbers
{
    /// <summary>
    /// A whole-number option whose range is the <see cref="RangeAttribute"/> on
    /// <typeparamref name="TOptions"/>'s <paramref name="property"/>, so that help and checks
    /// cannot drift from what the options accept.
    /// </summary>
    public static Option<int?> WholeNumber<TOptions>(string name, string description, string property)
    {
        var (minimum, maximum) = RangeOf<TOptions>(property);
        return WholeNumber(name, description, minimum, maximum);
    }

    /// <summary>The whole-number range declared on a property of an options class.</summary>
    public static (int Minimum, int Maximum) RangeOf<TOptions>(string property)
    {
        var range = typeof(TOptions).GetProperty(property)?.GetCustomAttribute<RangeAttribute>()
            ?? throw new InvalidOperationException($"{typeof(TOptions).Name}.{property} has no [Range].");
        return (Convert.ToInt32(range.Minimum, CultureInfo.InvariantCulture), Convert.ToInt32(range.Maximum, CultureInfo.InvariantCulture));
    }

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
