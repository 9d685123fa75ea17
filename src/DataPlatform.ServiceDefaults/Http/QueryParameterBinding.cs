using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using DataPlatform.Contracts.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace DataPlatform.ServiceDefaults.Http;

/// <summary>
/// Checks the query-string parameters of every minimal-API endpoint before the framework binds them, so that a
/// value the framework would refuse with a bare 400 gets an RFC 9457 body naming the parameter and what it accepts,
/// and an enum takes the spelling the API itself writes. ASP.NET Core binds enums by their C# names, case-sensitively
/// (<c>Open</c>), while the JSON and the docs spell them <c>open</c>: here any case of the member's name, and of its
/// JSON spelling with or without <c>_</c> and <c>-</c>, is accepted and handed on as the member's name; numbers are
/// not enum values. Other types are parsed as the framework parses them (<c>TryParse</c> with the invariant culture).
/// </summary>
public static class QueryParameterBinding
{
    static readonly ConcurrentDictionary<RouteEndpoint, QueryParameter[]> _parameters = new();

    /// <summary>Adds the check to the pipeline; it runs after routing has chosen the endpoint.</summary>
    public static IApplicationBuilder UseQueryParameterBinding(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.Request.QueryString.HasValue && context.GetEndpoint() is RouteEndpoint endpoint
            && _parameters.GetOrAdd(endpoint, Describe) is { Length: > 0 } parameters)
        {
            Dictionary<string, StringValues>? rewritten = null;
            foreach (var parameter in parameters)
            {
                if (!context.Request.Query.TryGetValue(parameter.QueryName, out var values))
                {
                    continue;
                }

                var bound = new string?[values.Count];
                for (var i = 0; i < values.Count; i++)
                {
                    // An empty value binds as absent; the framework decides what that means for the parameter.
                    if (string.IsNullOrEmpty(values[i]))
                    {
                        bound[i] = values[i];
                    }
                    else if (parameter.Read(values[i]!) is { } value)
                    {
                        bound[i] = value;
                    }
                    else
                    {
                        await WriteProblemAsync(context, parameter, values[i]!);
                        return;
                    }
                }

                if (!bound.SequenceEqual(values.ToArray(), StringComparer.Ordinal))
                {
                    rewritten ??= context.Request.Query.ToDictionary(q => q.Key, q => q.Value, StringComparer.OrdinalIgnoreCase);
                    rewritten[parameter.QueryName] = new StringValues(bound);
                }
            }

            if (rewritten is not null)
            {
                context.Request.Query = new QueryCollection(rewritten);
            }
        }

        await next(context);
    });

    static ValueTask WriteProblemAsync(HttpContext context, QueryParameter parameter, string value)
    {
        var shown = value.Length > 60 ? value[..60] + "…" : value;
        var message = parameter.Allowed is { } allowed
            ? $"'{shown}' is not one of the values of '{parameter.QueryName}': {string.Join(", ", allowed)}."
            : $"'{shown}' is not a valid '{parameter.QueryName}': expected {parameter.Expected}.";
        var problem = new ValidationProblemDetails(new Dictionary<string, string[]> { [parameter.QueryName] = [message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Type = ProblemTypes.InvalidQueryParameter,
            Title = "Invalid query parameter",
            Detail = message,
        };
        if (parameter.Allowed is not null)
        {
            problem.Extensions["allowedValues"] = parameter.Allowed;
        }

        problem.Extensions["parameter"] = parameter.QueryName;
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = problem,
        });
    }

    /// <summary>The query-string parameters of a minimal-API handler whose values can be checked before binding.</summary>
    static QueryParameter[] Describe(RouteEndpoint endpoint)
    {
        if (endpoint.Metadata.GetMetadata<MethodInfo>() is not { } method)
        {
            return [];
        }

        var routeValues = endpoint.RoutePattern.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var result = new List<QueryParameter>();
        foreach (var parameter in method.GetParameters())
        {
            var attributes = parameter.GetCustomAttributes(true);
            var fromQuery = attributes.OfType<IFromQueryMetadata>().FirstOrDefault();
            var elsewhere = attributes.Any(a => a is IFromRouteMetadata or IFromBodyMetadata or IFromHeaderMetadata or IFromFormMetadata or IFromServiceMetadata or AsParametersAttribute);
            if (elsewhere || parameter.Name is null || (fromQuery is null && routeValues.Contains(parameter.Name)))
            {
                continue;
            }

            var type = parameter.ParameterType.IsArray ? parameter.ParameterType.GetElementType()! : parameter.ParameterType;
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (QueryParameter.For(fromQuery?.Name ?? parameter.Name, type) is { } described)
            {
                result.Add(described);
            }
        }

        return [.. result];
    }

    /// <summary>A query parameter: its name, and how a value is read (to the text the framework binds) or refused.</summary>
    sealed record QueryParameter(string QueryName, Func<string, string?> Read, string Expected, IReadOnlyList<string>? Allowed)
    {
        public static QueryParameter? For(string name, Type type)
        {
            if (type.IsEnum)
            {
                var members = Enum.GetNames(type).Select(member => (Member: member, Json: JsonName(type, member))).ToList();
                var allowed = members.Select(m => m.Json).ToList();
                return new QueryParameter(name, value =>
                {
                    var wanted = Loose(value);
                    return members.FirstOrDefault(m => Loose(m.Member) == wanted || Loose(m.Json) == wanted).Member;
                }, "one of " + string.Join(", ", allowed), allowed);
            }

            var expected = Type.GetTypeCode(type) switch
            {
                TypeCode.Int16 or TypeCode.Int32 or TypeCode.Int64 or TypeCode.UInt16 or TypeCode.UInt32 or TypeCode.UInt64 or TypeCode.Byte => "a whole number",
                TypeCode.Decimal or TypeCode.Double or TypeCode.Single => "a number",
                TypeCode.Boolean => "true or false",
                TypeCode.DateTime => "a date and time (ISO 8601)",
                _ when type == typeof(DateTimeOffset) => "a date and time (ISO 8601)",
                _ when type == typeof(DateOnly) => "a date (yyyy-MM-dd)",
                _ when type == typeof(Guid) => "a GUID",
                _ => null,
            };
            if (expected is null)
            {
                return null;
            }

            // The framework binds these types with TryParse(string, IFormatProvider, out T) and the invariant culture.
            var withCulture = type.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static, [typeof(string), typeof(IFormatProvider), type.MakeByRefType()]);
            var plain = type.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static, [typeof(string), type.MakeByRefType()]);
            if (withCulture is null && plain is null)
            {
                return null;
            }

            return new QueryParameter(name, value =>
            {
                var parsed = withCulture is not null
                    ? (bool)withCulture.Invoke(null, [value, CultureInfo.InvariantCulture, null])!
                    : (bool)plain!.Invoke(null, [value, null])!;
                return parsed ? value : null;
            }, expected, null);
        }

        /// <summary>The member's name as the API writes it in JSON: its declared JSON name, else camel case.</summary>
        static string JsonName(Type type, string member) =>
            type.GetField(member)?.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(member);

        static string Loose(string text) => text.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
    }
}
