// GENERATED from the API's /openapi.json by openapi-typescript — do not edit.
// Regenerate: npm run client:generate  (a test fails when this file drifts from the API).

export interface paths {
    "/codec/decode": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Decrypt payloads for display in the Temporal Web UI
         * @description Called by the Temporal Web UI (remote codec endpoint). Requires an ops token when PAYLOAD_CODEC_ENDPOINT_AUTH=ops (default in production).
         */
        post: operations["codec_decode"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/codec/encode": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Encrypt payloads entered in the Temporal Web UI
         * @description Called by the Temporal Web UI (remote codec endpoint). Requires an ops token when PAYLOAD_CODEC_ENDPOINT_AUTH=ops (default in production).
         */
        post: operations["codec_encode"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Alive */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @constant */
                            status: "ok";
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics (loopback clients, or Authorization: Bearer <METRICS_TOKEN>) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Text exposition format */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/plain": string;
                    };
                };
                /** @description Not a loopback client, or not the metrics token */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/plain": string;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OpenAPI 3.1 */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: Postgres, Redis, Temporal */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Ready */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            checks: {
                                [key: string]: unknown;
                            };
                            status: string;
                        };
                    };
                };
                /** @description A dependency is unreachable */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/inventory/{sku}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Stock per warehouse (ops) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description Upper-case letters, digits and dashes (max 64). Anything else answers 404. */
                    sku: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Levels */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Inventory"];
                    };
                };
                /** @description Bad input (`validation_failed`, `malformed_json`, `invalid_cursor`, …) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `unauthorized`: missing, invalid or expired token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `forbidden`: the token lacks the role */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `not_found` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `rate_limited` (see Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        /** Set on-hand stock in one warehouse (ops) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description Upper-case letters, digits and dashes (max 64). Anything else answers 404. */
                    sku: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["InventoryUpdate"];
                };
            };
            responses: {
                /** @description Levels after the change */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Inventory"];
                    };
                };
                /** @description Bad input (`validation_failed`, `malformed_json`, `invalid_cursor`, …) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `unauthorized`: missing, invalid or expired token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `forbidden`: the token lacks the role */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `not_found` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `stock_below_reserved` */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `payload_too_large`: the body exceeds the size limit */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `unsupported_media_type`: send the body as application/json in UTF-8 */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `unknown_warehouse` */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `rate_limited` (see Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/orders/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel the order; refunds the payment if it was captured (cancelOrderUpdate, role ops) */
        post: operations["ops_cancel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/orders/{id}/manual-review": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Flag the order for manual review (markManualReviewUpdate); sets NeedsAttention */
        post: operations["ops_manual_review"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/orders/{id}/redrive-capture": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Re-drive a capture that gave up (redriveCaptureSignal) */
        post: operations["ops_redrive_capture"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/orders/{id}/retry-compensation": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Retry compensations that gave up (retryCompensationSignal) */
        post: operations["ops_retry_compensation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/products/{sku}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Create or update a product (ops) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description Upper-case letters, digits and dashes (max 64). Anything else answers 404. */
                    sku: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["ProductUpsert"];
                };
            };
            responses: {
                /** @description Updated */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            active: boolean;
                            /** @description Sum over warehouses of on-hand minus reserved */
                            available: number;
                            brand: string;
                            category: string;
                            description: string;
                            name: string;
                            price: components["schemas"]["Money"];
                            sku: components["schemas"]["Sku"];
                        };
                    };
                };
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            active: boolean;
                            /** @description Sum over warehouses of on-hand minus reserved */
                            available: number;
                            brand: string;
                            category: string;
                            description: string;
                            name: string;
                            price: components["schemas"]["Money"];
                            sku: components["schemas"]["Sku"];
                        };
                    };
                };
                /** @description Bad input (`validation_failed`, `malformed_json`, `invalid_cursor`, …) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `unauthorized`: missing, invalid or expired token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `forbidden`: the token lacks the role */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `payload_too_large`: the body exceeds the size limit */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `unsupported_media_type`: send the body as application/json in UTF-8 */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `unknown_category` / `unknown_brand` */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `rate_limited` (see Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/dev/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mint a development token (dev only; 404 in production)
         * @description For the demo storefront and the finance console. Enabled by DEV_TOKENS (default outside production, refused in production) with HS256 signing.
         */
        post: operations["dev_mint_token"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/finance/findings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Reconciliation findings (open, needing a human, by kind/order/run); CSV with Accept: text/csv */
        get: operations["finance_list_findings"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/finance/payments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The payment ledger, oldest first (finance, ops); CSV with Accept: text/csv (next page cursor in X-Next-Cursor) */
        get: operations["finance_list_payments"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/finance/reconciliations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Reconciliation runs, newest first (finance, ops); CSV with Accept: text/csv */
        get: operations["finance_list_reconciliations"];
        put?: never;
        /** Start a reconciliation run now (finance) */
        post: operations["finance_start_reconciliation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/finance/reconciliations/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A reconciliation run with its findings (finance, ops); findings as CSV with Accept: text/csv */
        get: operations["finance_get_reconciliation"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/orders": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List orders, newest first
         * @description Customers see their own orders; ops/finance see all and may filter by customerId.
         */
        get: {
            parameters: {
                query?: {
                    cursor?: string;
                    /** @description ops/finance only: filter by customer */
                    customerId?: string;
                    limit?: number;
                    status?: "PENDING" | "AWAITING_PAYMENT_ACTION" | "CONFIRMED" | "REJECTED" | "PAYMENT_FAILED" | "CANCELLED";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of orders */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OrderPage"];
                    };
                };
                /** @description Bad input (`validation_failed`, `malformed_json`, `invalid_cursor`, …) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `unauthorized`: missing, invalid or expired token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `forbidden`: the token lacks the role */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `rate_limited` (see Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Place an order (idempotent)
         * @description Requires `Idempotency-Key` (scoped per customer). Same key + same body → the same order with `Idempotent-Replayed: true`; same key + different body → 422 `idempotency_key_reused`. `Prefer: wait=N` (N capped at 30; malformed preferences are ignored) waits for a settled state: 201 if settled, else 202.
         */
        post: {
            parameters: {
                query?: never;
                header: {
                    /** @description 1–255 printable ASCII characters; scoped per customer */
                    "idempotency-key": string;
                    /** @description `wait=N`: wait up to N seconds (capped at 30) for a settled state */
                    prefer?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["CreateOrder"];
                };
            };
            responses: {
                /** @description Settled within the Prefer: wait window */
                201: {
                    headers: {
                        /** @description Strong ETag of the representation */
                        ETag?: string;
                        /** @description `true` when an earlier request with this key created the order */
                        "Idempotent-Replayed"?: string;
                        /** @description /v1/orders/{id} */
                        Location?: string;
                        /** @description `wait=N` when Prefer: wait was honoured */
                        "Preference-Applied"?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Order"];
                    };
                };
                /** @description Accepted; poll the Location */
                202: {
                    headers: {
                        /** @description Strong ETag of the representation */
                        ETag?: string;
                        /** @description `true` when an earlier request with this key created the order */
                        "Idempotent-Replayed"?: string;
                        /** @description /v1/orders/{id} */
                        Location?: string;
                        /** @description `wait=N` when Prefer: wait was honoured */
                        "Preference-Applied"?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Order"];
                    };
                };
                /** @description Bad input (`validation_failed`, `malformed_json`, `invalid_cursor`, …) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `unauthorized`: missing, invalid or expired token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `forbidden`: the token lacks the role */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `payload_too_large` */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `unsupported_media_type` */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `unknown_sku` or `idempotency_key_reused` */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `rate_limited` (see Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `service_unavailable`: retry with the same Idempotency-Key */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/orders/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One order (owner, ops, finance); ETag + long-poll
         * @description Someone else’s order, or a non-UUID id, is a 404. `If-None-Match` → 304; with `Prefer: wait=N` it long-polls: 200 as soon as the order changes, 304 after N s.
         */
        get: {
            parameters: {
                query?: never;
                header?: {
                    "if-none-match"?: string;
                    /** @description With If-None-Match: `wait=N` long-polls up to N seconds (capped at 30) */
                    prefer?: string;
                };
                path: {
                    /** @description Order id (UUID). Anything else answers 404. */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The order */
                200: {
                    headers: {
                        /** @description Strong ETag of the representation */
                        ETag?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Order"];
                    };
                };
                /** @description Not modified */
                304: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Bad input (`validation_failed`, `malformed_json`, `invalid_cursor`, …) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `unauthorized`: missing, invalid or expired token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `forbidden`: the token lacks the role */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `not_found` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `rate_limited` (see Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/orders/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel an order
         * @description The owner may cancel before CONFIRMED; ops at any time (a captured payment is refunded).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description Order id (UUID). Anything else answers 404. */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": components["schemas"]["CancelOrder"];
                };
            };
            responses: {
                /** @description Cancellation accepted */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Order"];
                    };
                };
                /** @description Bad input (`validation_failed`, `malformed_json`, `invalid_cursor`, …) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `unauthorized`: missing, invalid or expired token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `forbidden`: the token lacks the role */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `not_found` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `order_not_cancellable` */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `payload_too_large`: the body exceeds the size limit */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `unsupported_media_type`: send the body as application/json in UTF-8 */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `rate_limited` (see Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/orders/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The order timeline, oldest first */
        get: {
            parameters: {
                query?: {
                    cursor?: string;
                    limit?: number;
                };
                header?: never;
                path: {
                    /** @description Order id (UUID). Anything else answers 404. */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Events */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OrderEventPage"];
                    };
                };
                /** @description Bad input (`validation_failed`, `malformed_json`, `invalid_cursor`, …) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `unauthorized`: missing, invalid or expired token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `forbidden`: the token lacks the role */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `not_found` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `rate_limited` (see Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/products": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List products (public) */
        get: {
            parameters: {
                query?: {
                    category?: string;
                    cursor?: string;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of products */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ProductPage"];
                    };
                };
                /** @description Bad input (`validation_failed`, `malformed_json`, `invalid_cursor`, …) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `rate_limited` (see Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/products/{sku}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One product (public) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description Upper-case letters, digits and dashes (max 64). Anything else answers 404. */
                    sku: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The product */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Product"];
                    };
                };
                /** @description Bad input (`validation_failed`, `malformed_json`, `invalid_cursor`, …) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `not_found` */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `rate_limited` (see Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/stripe": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Stripe webhook intake (signature verified on the raw body) */
        post: {
            parameters: {
                query?: never;
                header: {
                    "stripe-signature": string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            responses: {
                /** @description Recorded and handed to the order workflow (duplicates harmless) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            duplicate?: boolean;
                            order?: string;
                            /** @constant */
                            received: true;
                            workflow?: string;
                        };
                    };
                };
                /** @description `invalid_signature`: bad, missing or stale signature; `invalid_event`: signed, but not an event (no `id`, `type` or `data.object`, or a field of the wrong type); nothing changes */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `payload_too_large`: the body exceeds the size limit */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description `temporal_unavailable`: recorded, not yet signalled; retry */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        CancelOrder: {
            reason?: string;
        };
        /** @description Temporal payloads as JSON: metadata values and data in base64 */
        CodecPayloads: {
            payloads: {
                data?: string;
                metadata?: {
                    [key: string]: string;
                };
            }[];
        };
        /** @description Temporal payloads as JSON: metadata values and data in base64 */
        CodecPayloadsOutput: {
            payloads: {
                data?: string;
                metadata?: {
                    [key: string]: string;
                };
            }[];
        };
        /**
         * @example {
         *       "items": [
         *         {
         *           "sku": "AUD-HEADPHONES-01",
         *           "quantity": 1
         *         }
         *       ],
         *       "paymentMethod": "pm_card_visa"
         *     }
         */
        CreateOrder: {
            items: {
                quantity: number;
                sku: components["schemas"]["Sku"];
            }[];
            paymentMethod: string;
            shippingAddress?: components["schemas"]["ShippingAddress"];
        };
        DevToken: {
            /** Format: date-time */
            expiresAt: string;
            roles: ("customer" | "ops" | "finance")[];
            sub: string;
            token: string;
        };
        DevTokenRequest: {
            /**
             * @default [
             *       "customer"
             *     ]
             */
            roles: ("customer" | "ops" | "finance")[];
            /** @description Subject (customer id or user id); default: a fresh demo customer */
            sub?: string;
        };
        Inventory: {
            levels: {
                available: number;
                onHand: number;
                reserved: number;
                warehouse: string;
            }[];
            sku: components["schemas"]["Sku"];
        };
        InventoryUpdate: {
            onHand: number;
            warehouse: string;
        };
        LedgerEntry: {
            amount: number | null;
            /** Format: date-time */
            createdAt: string;
            currency: string | null;
            id: number;
            order: {
                customerId: string;
                status: string;
                totalAmount: number;
            } | null;
            orderId: string | null;
            payment: {
                amount: number;
                capturedAmount: number;
                refundedAmount: number;
                status: string;
            } | null;
            provider: string;
            providerEventId: string;
            providerReference: string | null;
            source: string;
            status: string | null;
            type: string;
        };
        /**
         * @example {
         *       "amount": 1999,
         *       "currency": "USD"
         *     }
         */
        Money: {
            /** @description Minor units (cents) */
            amount: number;
            /** @example USD */
            currency: string;
        };
        /**
         * @example {
         *       "reason": "customer called support: duplicate order"
         *     }
         */
        OpsActionRequest: {
            /** @description Why (audited with the caller's JWT sub) */
            reason: string;
        };
        OpsActionResult: {
            /** @enum {string} */
            action: "cancel" | "retry-compensation" | "redrive-capture" | "manual-review";
            attention?: string;
            /** Format: uuid */
            orderId: string;
            requestId: string;
            /**
             * @description Order status as known after the action was delivered
             * @enum {string}
             */
            status: "PENDING" | "AWAITING_PAYMENT_ACTION" | "CONFIRMED" | "REJECTED" | "PAYMENT_FAILED" | "CANCELLED";
            workflowId: string;
        };
        Order: {
            /** Format: date-time */
            createdAt: string;
            customerId: string;
            failure?: {
                code: string;
                message: string;
            };
            /** Format: uuid */
            id: string;
            items: {
                lineTotal: components["schemas"]["Money"];
                name: string;
                quantity: number;
                sku: components["schemas"]["Sku"];
                unitPrice: components["schemas"]["Money"];
            }[];
            payment: {
                action?: {
                    clientSecret: string;
                    redirectUrl?: string;
                    /** @constant */
                    type: "authenticate";
                };
                reference?: string;
                /** @enum {string} */
                status: "PENDING" | "REQUIRES_ACTION" | "AUTHORIZED" | "CAPTURED" | "VOIDED" | "REFUNDED" | "FAILED";
            };
            /** @enum {string} */
            status: "PENDING" | "AWAITING_PAYMENT_ACTION" | "CONFIRMED" | "REJECTED" | "PAYMENT_FAILED" | "CANCELLED";
            total: components["schemas"]["Money"];
            /** Format: date-time */
            updatedAt: string;
        };
        OrderEvent: {
            actor?: string;
            /** Format: date-time */
            at: string;
            reason?: string;
            /** @enum {string} */
            status: "PENDING" | "AWAITING_PAYMENT_ACTION" | "CONFIRMED" | "REJECTED" | "PAYMENT_FAILED" | "CANCELLED";
            type: string;
        };
        OrderEventPage: {
            data: components["schemas"]["OrderEvent"][];
            nextCursor: string | null;
        };
        OrderPage: {
            data: components["schemas"]["Order"][];
            nextCursor: string | null;
        };
        /** @description RFC 9457 problem details */
        Problem: {
            /** @description Stable snake_case error code */
            code: string;
            detail: string;
            errors?: {
                code?: string;
                message: string;
                path: string;
            }[];
            instance?: string;
            requestId?: string;
            status: number;
            title: string;
            /** @description The OpenTelemetry trace of this request (present when the server traces): search it in the tracing backend */
            traceId?: string;
            type: string;
        };
        Product: {
            /** @description Sum over warehouses of on-hand minus reserved */
            available: number;
            brand: string;
            category: string;
            description: string;
            name: string;
            price: components["schemas"]["Money"];
            sku: components["schemas"]["Sku"];
        };
        ProductPage: {
            data: components["schemas"]["Product"][];
            nextCursor: string | null;
        };
        ProductUpsert: {
            /** @default true */
            active: boolean;
            brand: string;
            category: string;
            /** @default  */
            description: string;
            name: string;
            price: components["schemas"]["Money"];
        };
        ReconciliationFinding: {
            action: string;
            actionOutcome: string | null;
            /** Format: date-time */
            createdAt: string;
            currency: string | null;
            details: {
                [key: string]: unknown;
            } | null;
            id: number;
            kind: string;
            needsHuman: boolean;
            orderId: string | null;
            ourAmount: number | null;
            ourStatus: string | null;
            providerAmount: number | null;
            providerReference: string | null;
            providerStatus: string | null;
            resolvedAt: string | null;
            runId: string;
        };
        ReconciliationRun: {
            checked: number;
            error: string | null;
            findingsCount: number;
            finishedAt: string | null;
            id: string;
            matched: number;
            needsHuman: number;
            /** Format: date-time */
            startedAt: string;
            status: string;
            trigger: string;
            window: {
                /** Format: date-time */
                end: string;
                /** Format: date-time */
                start: string;
            };
        };
        ShippingAddress: {
            city: string;
            country: string;
            line1: string;
            line2?: string;
            name: string;
            postalCode: string;
            region?: string;
        };
        /** @example AUD-HEADPHONES-01 */
        Sku: string;
        StartReconciliationRequest: {
            /** @enum {string} */
            capturedPolicy?: "refund" | "confirm";
            /** @description Overlap with the previous run (default RECONCILIATION_LOOKBACK) */
            lookbackMinutes?: number;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    codec_decode: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CodecPayloads"];
            };
        };
        responses: {
            /** @description The payloads, decoded (or encoded) in order; payloads that were never encrypted come back unchanged */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CodecPayloadsOutput"];
                };
            };
            /** @description invalid_request: not a payload list */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description unauthorized (PAYLOAD_CODEC_ENDPOINT_AUTH=ops) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description forbidden: requires the role ops */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description unknown_codec_key or undecodable_payload */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    codec_encode: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CodecPayloads"];
            };
        };
        responses: {
            /** @description The payloads, decoded (or encoded) in order; payloads that were never encrypted come back unchanged */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CodecPayloadsOutput"];
                };
            };
            /** @description invalid_request: not a payload list */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description unauthorized (PAYLOAD_CODEC_ENDPOINT_AUTH=ops) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description forbidden: requires the role ops */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description unknown_codec_key or undecodable_payload */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    ops_cancel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Order id (UUID). Anything else answers 404. */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OpsActionRequest"];
            };
        };
        responses: {
            /** @description Delivered to the order workflow (visible in its history) and audited */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpsActionResult"];
                };
            };
            /** @description validation_failed: `reason` missing, empty or longer than 500 characters */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description forbidden: requires the role ops */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description not_found: no such order */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description workflow_closed: the checkout workflow has completed; order_not_cancellable; or the workflow rejected the action */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `payload_too_large`: the body exceeds the size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `unsupported_media_type`: send the body as application/json in UTF-8 */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited` (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description service_unavailable: Temporal unreachable or too slow; nothing was audited; retry with the same X-Request-Id */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    ops_manual_review: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Order id (UUID). Anything else answers 404. */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OpsActionRequest"];
            };
        };
        responses: {
            /** @description Delivered to the order workflow (visible in its history) and audited */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpsActionResult"];
                };
            };
            /** @description validation_failed: `reason` missing, empty or longer than 500 characters */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description forbidden: requires the role ops */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description not_found: no such order */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description workflow_closed: the checkout workflow has completed; order_not_cancellable; or the workflow rejected the action */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `payload_too_large`: the body exceeds the size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `unsupported_media_type`: send the body as application/json in UTF-8 */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited` (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description service_unavailable: Temporal unreachable or too slow; nothing was audited; retry with the same X-Request-Id */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    ops_redrive_capture: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Order id (UUID). Anything else answers 404. */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OpsActionRequest"];
            };
        };
        responses: {
            /** @description Delivered to the order workflow (visible in its history) and audited */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpsActionResult"];
                };
            };
            /** @description validation_failed: `reason` missing, empty or longer than 500 characters */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description forbidden: requires the role ops */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description not_found: no such order */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description workflow_closed: the checkout workflow has completed; order_not_cancellable; or the workflow rejected the action */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `payload_too_large`: the body exceeds the size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `unsupported_media_type`: send the body as application/json in UTF-8 */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited` (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description service_unavailable: Temporal unreachable or too slow; nothing was audited; retry with the same X-Request-Id */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    ops_retry_compensation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Order id (UUID). Anything else answers 404. */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OpsActionRequest"];
            };
        };
        responses: {
            /** @description Delivered to the order workflow (visible in its history) and audited */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpsActionResult"];
                };
            };
            /** @description validation_failed: `reason` missing, empty or longer than 500 characters */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description forbidden: requires the role ops */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description not_found: no such order */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description workflow_closed: the checkout workflow has completed; order_not_cancellable; or the workflow rejected the action */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `payload_too_large`: the body exceeds the size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `unsupported_media_type`: send the body as application/json in UTF-8 */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited` (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description service_unavailable: Temporal unreachable or too slow; nothing was audited; retry with the same X-Request-Id */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    dev_mint_token: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["DevTokenRequest"];
            };
        };
        responses: {
            /** @description A token valid for one hour */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DevToken"];
                };
            };
            /** @description `validation_failed` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `not_found`: development tokens are disabled */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `payload_too_large`: the body exceeds the size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `unsupported_media_type`: send the body as application/json in UTF-8 */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    finance_list_findings: {
        parameters: {
            query?: {
                cursor?: string;
                kind?: "orphan_authorization" | "captured_without_confirmed_order" | "confirmed_not_captured" | "amount_mismatch" | "currency_mismatch" | "ledger_missing_refund" | "ledger_missing_event" | "missed_webhook" | "stranded_order" | "held_stock_settled_order";
                limit?: number;
                needsHuman?: "true" | "false";
                open?: "true" | "false";
                orderId?: string;
                runId?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Findings */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["ReconciliationFinding"][];
                        nextCursor: string | null;
                    };
                    "text/csv": string;
                };
            };
            /** @description `validation_failed` / `invalid_cursor` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited` (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    finance_list_payments: {
        parameters: {
            query?: {
                cursor?: string;
                from?: string;
                limit?: number;
                orderId?: string;
                providerReference?: string;
                source?: "api_call" | "webhook" | "reconciliation";
                to?: string;
                type?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ledger entries */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["LedgerEntry"][];
                        nextCursor: string | null;
                    };
                    "text/csv": string;
                };
            };
            /** @description `validation_failed` / `invalid_cursor` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited` (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    finance_list_reconciliations: {
        parameters: {
            query?: {
                cursor?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Runs */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["ReconciliationRun"][];
                        nextCursor: string | null;
                    };
                    "text/csv": string;
                };
            };
            /** @description `validation_failed` / `invalid_cursor` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited` (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    finance_start_reconciliation: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["StartReconciliationRequest"];
            };
        };
        responses: {
            /** @description Started; poll Location */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        status: string;
                        workflowId: string;
                    };
                };
            };
            /** @description `validation_failed` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `payload_too_large`: the body exceeds the size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `unsupported_media_type`: send the body as application/json in UTF-8 */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited` (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `service_unavailable`: Temporal unreachable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    finance_get_reconciliation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id (UUID). Anything else answers 404. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The run */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        checked: number;
                        error: string | null;
                        findings: components["schemas"]["ReconciliationFinding"][];
                        findingsCount: number;
                        finishedAt: string | null;
                        id: string;
                        matched: number;
                        needsHuman: number;
                        /** Format: date-time */
                        startedAt: string;
                        status: string;
                        trigger: string;
                        window: {
                            /** Format: date-time */
                            end: string;
                            /** Format: date-time */
                            start: string;
                        };
                    };
                    "text/csv": string;
                };
            };
            /** @description Bad input (`validation_failed`, `malformed_json`, `invalid_cursor`, …) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description `rate_limited` (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
