/**
 * DescribeConfigs v0 (key 32).
 *
 *   DescribeConfigs Request (Version: 0) => [resources]
 *     resources => resource_type resource_name [configuration_keys]
 *       resource_type => INT8 (2 topic, 4 broker)  resource_name => STRING
 *       configuration_keys => STRING   (nullable array: null means all)
 *
 *   DescribeConfigs Response (Version: 0) => throttle_time_ms [results]
 *     throttle_time_ms => INT32
 *     results => error_code error_message resource_type resource_name [configs]
 *       error_code => INT16  error_message => NULLABLE_STRING
 *       resource_type => INT8  resource_name => STRING
 *       configs => name value read_only is_default is_sensitive
 *         name => STRING  value => NULLABLE_STRING
 *         read_only => BOOLEAN  is_default => BOOLEAN  is_sensitive => BOOLEAN
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'

export type DescribeConfigsRequest = {
  resources: { type: number; name: string; keys: string[] | null }[]
}

export type DescribeConfigsResponse = {
  results: {
    errorCode: number
    errorMessage: string | null
    type: number
    name: string
    configs: { name: string; value: string | null; readOnly: boolean; isDefault: boolean }[]
  }[]
}

export function decodeDescribeConfigsRequestV0(r: Reader): DescribeConfigsRequest {
  return {
    resources: r.array((r) => ({
      type: r.int8(),
      name: r.string(),
      keys: r.nullableArray((r) => r.string()),
    })),
  }
}

export function encodeDescribeConfigsResponseV0(w: Writer, res: DescribeConfigsResponse): void {
  w.int32(0)
  w.array(res.results, (w, x) => {
    w.int16(x.errorCode).nullableString(x.errorMessage).int8(x.type).string(x.name)
    w.array(x.configs, (w, c) =>
      w.string(c.name).nullableString(c.value).bool(c.readOnly).bool(c.isDefault).bool(false),
    )
  })
}
