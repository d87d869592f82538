// Generated from the gateway's OpenAPI document by scripts/openapi-types.mjs; do not edit.
export interface paths {
    "/v1/subjects": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the tenant's subjects */
        get: operations["listSubjects"];
        put?: never;
        /** Create a subject (with its consent record where the tenant's policy requires one) */
        post: operations["createSubject"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/subjects/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a subject */
        get: operations["getSubject"];
        put?: never;
        post?: never;
        /** Erase a subject from every store that keeps anything about it; answers with the receipt */
        delete: operations["deleteSubject"];
        options?: never;
        head?: never;
        /** Rename a subject, replace its metadata or record its consent */
        patch: operations["updateSubject"];
        trace?: never;
    };
    "/v1/subjects/{id}/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Subject access: the subject, its templates' metadata and every audit entry about it (admin) */
        get: operations["exportSubject"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/subjects/{id}/consent": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** The person withdrew consent: the subject is erased as by DELETE /v1/subjects/{id}, audited as a withdrawal */
        delete: operations["withdrawConsent"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/subjects/{id}/crop": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A subject's face: a template's aligned 112x112 crop as PNG, the newest kept unless `template` names one */
        get: operations["getSubjectCrop"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/subjects/{id}/enroll": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Enrol photos of a subject, one template per photo with exactly one usable face */
        post: operations["enroll"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/identify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Identify every face in an image
         * @description `frames` (up to 9): more frames of the same scene taken just after the image, a burst or a short clip's. Each face's liveness is then combined over the frames it is found in, as a camera track is, and judged at a camera's thresholds.
         */
        post: operations["identify"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Verify the main face of an image against a subject or against a second image
         * @description `frames` (up to 9): more frames of the person taken just after the image. The main face's liveness is then combined over them, and under the `required` policy a match below the bar is refused (`match` false, with a `reason`).
         */
        post: operations["verify"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/feedback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Say a decision naming subjectId was wrong ("not them": later look-alikes need more to match) or right (the face becomes a template) */
        post: operations["feedback"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/matches": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Follow the tenant's match events as server-sent events */
        get: operations["watchMatches"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The tenant's audit entries, oldest first (or newest first), filtered and paged */
        get: operations["queryAudit"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audit/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Check the hash chain of the tenant's trail: an edited, removed or cut-off entry breaks it */
        get: operations["verifyAudit"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start a job: bulk enrolment from a folder, re-embedding, erasure, recalibration or reindexing */
        post: operations["startJob"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A job's state, progress and result */
        get: operations["getJob"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the tenant's API keys (never the keys themselves) */
        get: operations["listKeys"];
        put?: never;
        /** Create an API key in the caller's tenant; the key is in this answer only */
        post: operations["createKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke an API key: every gateway refuses it within the documented bound */
        delete: operations["revokeKey"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the tenant's webhooks (never their secrets) */
        get: operations["listWebhooks"];
        put?: never;
        /** Register a webhook: decisions that pass its filters are POSTed to it, signed with the secret in this answer */
        post: operations["createWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete a webhook; deliveries not yet attempted are not made */
        delete: operations["deleteWebhook"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The webhook's newest delivery attempts, newest first: status or error, attempt number */
        get: operations["listWebhookDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/{id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send the webhook a signed test body now (type `test`, no decision) and say what its receiver did */
        post: operations["testWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/review/clusters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The tenant's clusters of unknown faces, the most recently seen first */
        get: operations["listReviewClusters"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/review/clusters/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One cluster and its faces: camera, time, quality and the nearest subjects when each was seen */
        get: operations["getReviewCluster"];
        put?: never;
        post?: never;
        /** Dismiss a cluster: its faces leave the queue and are kept nowhere */
        delete: operations["dismissReviewCluster"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/review/clusters/{id}/assign": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Name a cluster: its faces become templates of an existing subject (subjectId) or a new one (name) */
        post: operations["assignReviewCluster"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/review/faces/{id}/crop": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A queued face's aligned 112x112 crop, as PNG (kept only with crop retention on) */
        get: operations["getReviewFaceCrop"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The tenant's gallery, review queue and webhooks, the models, audit health, its jobs, liveness and MQTT */
        get: operations["getStatus"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/policy": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The tenant's privacy policy in force (admin) */
        get: operations["getPolicy"];
        /** Set the tenant's privacy policy: a new version, audited (admin); fields left out take their defaults */
        put: operations["setPolicy"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/notice": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The tenant's transparency notice: models, measured error rates and their sources, what is kept and how long */
        get: operations["getNotice"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/liveness/challenges": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start an active liveness check: the actions to ask of the person, in order */
        post: operations["startChallenge"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/liveness/challenges/{id}/frames": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** One camera frame of a challenge (its pose is kept, never the frame) */
        post: operations["sendChallengeFrame"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/liveness/challenges/{id}/result": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Judge a challenge from its frames, once: live, or why not */
        post: operations["challengeResult"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: never;
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listSubjects: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        subjects?: {
                            id?: string;
                            name?: string;
                            metadata?: {
                                [key: string]: string;
                            };
                            /** Format: date-time */
                            createdAt?: string;
                            /** @description the person's consent to enrolment, as the tenant recorded it; required by a consent-required policy */
                            consent?: {
                                /** @description `consent` (explicit opt-in) or the other lawful basis relied on */
                                basis: string;
                                /** @description when, ISO 8601 */
                                givenAt: string;
                                /** @description the transparency notice's version the person was shown */
                                noticeVersion: string;
                                /** @description where the tenant keeps the evidence (e.g. a signed form's number) */
                                evidenceRef: string;
                            };
                            templates?: number;
                            /** @description the templates whose aligned crop is kept, newest first (read one subject; GET /v1/subjects/:id/crop serves them) */
                            cropTemplates?: string[];
                            /** @description the subject's threshold and why (read one subject; absent without templates) */
                            threshold?: {
                                value?: number;
                                global?: number;
                                shift?: number;
                                impostorMean?: number;
                                typicalImpostorMean?: number;
                                cohort?: number;
                                reason?: string;
                            };
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    createSubject: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name: string;
                    metadata?: {
                        [key: string]: string;
                    };
                    /** @description the person's consent to enrolment, as the tenant recorded it; required by a consent-required policy */
                    consent?: {
                        /** @description `consent` (explicit opt-in) or the other lawful basis relied on */
                        basis: string;
                        /** @description when, ISO 8601 */
                        givenAt: string;
                        /** @description the transparency notice's version the person was shown */
                        noticeVersion: string;
                        /** @description where the tenant keeps the evidence (e.g. a signed form's number) */
                        evidenceRef: string;
                    };
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id?: string;
                        name?: string;
                        metadata?: {
                            [key: string]: string;
                        };
                        /** Format: date-time */
                        createdAt?: string;
                        /** @description the person's consent to enrolment, as the tenant recorded it; required by a consent-required policy */
                        consent?: {
                            /** @description `consent` (explicit opt-in) or the other lawful basis relied on */
                            basis: string;
                            /** @description when, ISO 8601 */
                            givenAt: string;
                            /** @description the transparency notice's version the person was shown */
                            noticeVersion: string;
                            /** @description where the tenant keeps the evidence (e.g. a signed form's number) */
                            evidenceRef: string;
                        };
                        templates?: number;
                        /** @description the templates whose aligned crop is kept, newest first (read one subject; GET /v1/subjects/:id/crop serves them) */
                        cropTemplates?: string[];
                        /** @description the subject's threshold and why (read one subject; absent without templates) */
                        threshold?: {
                            value?: number;
                            global?: number;
                            shift?: number;
                            impostorMean?: number;
                            typicalImpostorMean?: number;
                            cohort?: number;
                            reason?: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    getSubject: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id?: string;
                        name?: string;
                        metadata?: {
                            [key: string]: string;
                        };
                        /** Format: date-time */
                        createdAt?: string;
                        /** @description the person's consent to enrolment, as the tenant recorded it; required by a consent-required policy */
                        consent?: {
                            /** @description `consent` (explicit opt-in) or the other lawful basis relied on */
                            basis: string;
                            /** @description when, ISO 8601 */
                            givenAt: string;
                            /** @description the transparency notice's version the person was shown */
                            noticeVersion: string;
                            /** @description where the tenant keeps the evidence (e.g. a signed form's number) */
                            evidenceRef: string;
                        };
                        templates?: number;
                        /** @description the templates whose aligned crop is kept, newest first (read one subject; GET /v1/subjects/:id/crop serves them) */
                        cropTemplates?: string[];
                        /** @description the subject's threshold and why (read one subject; absent without templates) */
                        threshold?: {
                            value?: number;
                            global?: number;
                            shift?: number;
                            impostorMean?: number;
                            typicalImpostorMean?: number;
                            cohort?: number;
                            reason?: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    deleteSubject: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        templatesRemoved?: number;
                        receipt?: {
                            subjectId?: string;
                            erasedAt?: string;
                            stores?: {
                                store?: string;
                                removed?: number;
                                detail?: string;
                            }[];
                        };
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    updateSubject: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name?: string;
                    metadata?: {
                        [key: string]: string;
                    };
                    /** @description the person's consent to enrolment, as the tenant recorded it; required by a consent-required policy */
                    consent?: {
                        /** @description `consent` (explicit opt-in) or the other lawful basis relied on */
                        basis: string;
                        /** @description when, ISO 8601 */
                        givenAt: string;
                        /** @description the transparency notice's version the person was shown */
                        noticeVersion: string;
                        /** @description where the tenant keeps the evidence (e.g. a signed form's number) */
                        evidenceRef: string;
                    };
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id?: string;
                        name?: string;
                        metadata?: {
                            [key: string]: string;
                        };
                        /** Format: date-time */
                        createdAt?: string;
                        /** @description the person's consent to enrolment, as the tenant recorded it; required by a consent-required policy */
                        consent?: {
                            /** @description `consent` (explicit opt-in) or the other lawful basis relied on */
                            basis: string;
                            /** @description when, ISO 8601 */
                            givenAt: string;
                            /** @description the transparency notice's version the person was shown */
                            noticeVersion: string;
                            /** @description where the tenant keeps the evidence (e.g. a signed form's number) */
                            evidenceRef: string;
                        };
                        templates?: number;
                        /** @description the templates whose aligned crop is kept, newest first (read one subject; GET /v1/subjects/:id/crop serves them) */
                        cropTemplates?: string[];
                        /** @description the subject's threshold and why (read one subject; absent without templates) */
                        threshold?: {
                            value?: number;
                            global?: number;
                            shift?: number;
                            impostorMean?: number;
                            typicalImpostorMean?: number;
                            cohort?: number;
                            reason?: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    exportSubject: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        generatedAt?: string;
                        subject?: {
                            id?: string;
                            name?: string;
                            metadata?: {
                                [key: string]: string;
                            };
                            /** Format: date-time */
                            createdAt?: string;
                            /** @description the person's consent to enrolment, as the tenant recorded it; required by a consent-required policy */
                            consent?: {
                                /** @description `consent` (explicit opt-in) or the other lawful basis relied on */
                                basis: string;
                                /** @description when, ISO 8601 */
                                givenAt: string;
                                /** @description the transparency notice's version the person was shown */
                                noticeVersion: string;
                                /** @description where the tenant keeps the evidence (e.g. a signed form's number) */
                                evidenceRef: string;
                            };
                            templates?: number;
                            /** @description the templates whose aligned crop is kept, newest first (read one subject; GET /v1/subjects/:id/crop serves them) */
                            cropTemplates?: string[];
                            /** @description the subject's threshold and why (read one subject; absent without templates) */
                            threshold?: {
                                value?: number;
                                global?: number;
                                shift?: number;
                                impostorMean?: number;
                                typicalImpostorMean?: number;
                                cohort?: number;
                                reason?: string;
                            };
                        };
                        templates?: {
                            id?: string;
                            model?: string;
                            quality?: number;
                            createdAt?: string;
                            cropRetained?: boolean;
                        }[];
                        negatives?: {
                            id?: string;
                            model?: string;
                            createdAt?: string;
                        }[];
                        stores?: {
                            store?: string;
                            held?: string;
                            records?: {
                                [key: string]: unknown;
                            }[];
                        }[];
                        decisions?: {
                            sequence?: number;
                            /** Format: date-time */
                            time?: string;
                            tenant?: string;
                            keyId?: string;
                            operation?: string;
                            subjectId?: string;
                            decision?: string;
                            scores?: number[];
                            modelId?: string;
                            latencyMs?: number;
                            requestId?: string;
                            hash?: string;
                            /** @description the camera a decision was made for */
                            camera?: string;
                        }[];
                        decisionsTruncated?: boolean;
                        held?: string[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    withdrawConsent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        templatesRemoved?: number;
                        receipt?: {
                            subjectId?: string;
                            erasedAt?: string;
                            stores?: {
                                store?: string;
                                removed?: number;
                                detail?: string;
                            }[];
                        };
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    getSubjectCrop: {
        parameters: {
            query?: {
                template?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description PNG */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/png": string;
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    enroll: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    images: string[];
                };
                "multipart/form-data": {
                    images: Record<string, never>[];
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        templateIds?: string[];
                        rejected?: {
                            index?: number;
                            reason?: string;
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    identify: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description where the image came from */
                    camera?: string;
                    /**
                     * @description stricter than the camera's policy, or looser with an admin key; default: the camera's
                     * @enum {string}
                     */
                    liveness?: "required" | "advisory" | "off";
                    /** @description the image (JPEG, PNG, WebP or GIF), base64 */
                    image: string;
                    frames?: string[];
                };
                "multipart/form-data": {
                    /** @description where the image came from */
                    camera?: string;
                    /**
                     * @description stricter than the camera's policy, or looser with an admin key; default: the camera's
                     * @enum {string}
                     */
                    liveness?: "required" | "advisory" | "off";
                    /** @description the image file (JPEG, PNG, WebP, ...) */
                    image: Record<string, never>;
                    frames?: Record<string, never>[];
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        requestId?: string;
                        modelId?: string;
                        /** @description the liveness policy applied: required, advisory or off */
                        liveness?: string;
                        /** @description who set that policy: request, camera, tenant or deployment */
                        livenessSource?: string;
                        /** @description the liveness score under which the required policy refuses a face */
                        livenessThreshold?: number;
                        faces?: {
                            box?: {
                                x?: number;
                                y?: number;
                                width?: number;
                                height?: number;
                            };
                            /** @enum {string} */
                            outcome?: "match" | "unknown" | "rejected-quality" | "rejected-spoof";
                            subjectId?: string;
                            /** @description the matched subject's name, beside its id */
                            subjectName?: string;
                            /** @description why the face was refused (rejected-spoof, rejected-quality), with the figures */
                            reason?: string;
                            score?: number;
                            threshold?: number;
                            quality?: number;
                            liveness?: number;
                            /** @description with frames: how many the liveness score was combined over (the face's own and those it was found in) */
                            livenessFrames?: number;
                            candidates?: {
                                subjectId?: string;
                                subjectName?: string;
                                score?: number;
                                threshold?: number;
                            }[];
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    verify: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    subjectId?: string;
                    /** @description the image (JPEG, PNG, WebP or GIF), base64 */
                    image: string;
                    /** @description the image (JPEG, PNG, WebP or GIF), base64 */
                    otherImage?: string;
                    frames?: string[];
                } & (unknown | unknown);
                "multipart/form-data": {
                    subjectId?: string;
                    /** @description the image file (JPEG, PNG, WebP, ...) */
                    image: Record<string, never>;
                    /** @description the image file (JPEG, PNG, WebP, ...) */
                    otherImage?: Record<string, never>;
                    frames?: Record<string, never>[];
                } & (unknown | unknown);
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        match?: boolean;
                        score?: number;
                        threshold?: number;
                        requestId?: string;
                        /** @description the subject verified against, when one was named */
                        subjectName?: string;
                        /** @description with frames: the main face's liveness over them */
                        liveness?: number;
                        /** @description with frames: how many the score was combined over */
                        livenessFrames?: number;
                        /** @description with frames: the bar the score had to clear */
                        livenessThreshold?: number;
                        /** @description why a match was refused (liveness under the bar) */
                        reason?: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    feedback: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    subjectId?: string;
                    /** @enum {string} */
                    verdict?: "wrong" | "right";
                    /** @description the decision's id (identify's requestId:face, or a camera event's cropId) */
                    decisionId?: string;
                    /** @description the image (JPEG, PNG, WebP or GIF), base64 */
                    image: string;
                } & unknown;
                "multipart/form-data": {
                    subjectId?: string;
                    /** @enum {string} */
                    verdict?: "wrong" | "right";
                    /** @description the decision's id (identify's requestId:face, or a camera event's cropId) */
                    decisionId?: string;
                    /** @description the image file (JPEG, PNG, WebP, ...) */
                    image: Record<string, never>;
                } & unknown;
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        verdict?: string;
                        subjectId?: string;
                        templateId?: string;
                        score?: number;
                        requestId?: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    watchMatches: {
        parameters: {
            query?: {
                camera?: string[];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    queryAudit: {
        parameters: {
            query?: {
                operation?: string;
                subjectId?: string;
                decision?: string;
                since?: string;
                until?: string;
                pageSize?: number;
                pageToken?: string;
                /** @description oldest (the default) or newest first */
                order?: "oldest" | "newest";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        entries?: {
                            sequence?: number;
                            /** Format: date-time */
                            time?: string;
                            tenant?: string;
                            keyId?: string;
                            operation?: string;
                            subjectId?: string;
                            decision?: string;
                            scores?: number[];
                            modelId?: string;
                            latencyMs?: number;
                            requestId?: string;
                            hash?: string;
                            /** @description the camera a decision was made for */
                            camera?: string;
                        }[];
                        nextPageToken?: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    verifyAudit: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        tenant?: string;
                        intact?: boolean;
                        entries?: number;
                        firstBroken?: number;
                        reason?: string;
                        /** @description where the check started: the last entry pruned by the tenant's retention (absent when none was) */
                        checkpoint?: {
                            sequence?: number;
                            hash?: string;
                            /** @description entries pruned so far */
                            pruned?: number;
                            at?: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    startJob: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @enum {unknown} */
                    kind: "enrol-folder" | "reembed" | "erase" | "recalibrate" | "reindex";
                    /** @description enrol-folder: below FACEREC_IMPORT_DIR */
                    folder?: string;
                    /** @description erase: the subject */
                    subjectId?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id?: string;
                        kind?: string;
                        tenant?: string;
                        /** @description waiting, active, delayed, completed or failed */
                        state?: string;
                        /** @description percent done */
                        progress?: number;
                        attempts?: number;
                        result?: {
                            [key: string]: unknown;
                        };
                        error?: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    getJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id?: string;
                        kind?: string;
                        tenant?: string;
                        /** @description waiting, active, delayed, completed or failed */
                        state?: string;
                        /** @description percent done */
                        progress?: number;
                        attempts?: number;
                        result?: {
                            [key: string]: unknown;
                        };
                        error?: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    listKeys: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        keys?: {
                            id?: string;
                            tenant?: string;
                            name?: string;
                            scopes?: string[];
                            /** @description the cameras the key is bound to, if any */
                            cameras?: string[];
                            createdAt?: string;
                            revokedAt?: string;
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    createKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name: string;
                    scopes: ("admin" | "enrol" | "recognise" | "audit")[];
                    /** @description bind the key to these cameras: its identifications are decided and reported as theirs */
                    cameras?: string[];
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        key?: string;
                        record?: {
                            id?: string;
                            tenant?: string;
                            name?: string;
                            scopes?: string[];
                            /** @description the cameras the key is bound to, if any */
                            cameras?: string[];
                            createdAt?: string;
                            revokedAt?: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    revokeKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id?: string;
                        tenant?: string;
                        name?: string;
                        scopes?: string[];
                        /** @description the cameras the key is bound to, if any */
                        cameras?: string[];
                        createdAt?: string;
                        revokedAt?: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    listWebhooks: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        webhooks?: {
                            id?: string;
                            tenant?: string;
                            url?: string;
                            outcomes?: string[];
                            cameras?: string[];
                            subjects?: string[];
                            createdAt?: string;
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    createWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    url: string;
                    outcomes?: ("match" | "unknown" | "rejected-quality" | "rejected-spoof" | "rejected-camera")[];
                    cameras?: string[];
                    subjects?: string[];
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        secret?: string;
                        webhook?: {
                            id?: string;
                            tenant?: string;
                            url?: string;
                            outcomes?: string[];
                            cameras?: string[];
                            subjects?: string[];
                            createdAt?: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    deleteWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    listWebhookDeliveries: {
        parameters: {
            query?: {
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        attempts?: {
                            deliveryId?: string;
                            eventId?: string;
                            attempt?: number;
                            status?: number;
                            error?: string;
                            delivered?: boolean;
                            at?: string;
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    testWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        delivered?: boolean;
                        /** @description the receiver's HTTP status, where it answered */
                        status?: number;
                        error?: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    listReviewClusters: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        clusters?: {
                            id?: string;
                            tenant?: string;
                            model?: string;
                            faces?: number;
                            cameras?: string[];
                            first?: string;
                            last?: string;
                        }[];
                        total?: number;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    getReviewCluster: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        cluster?: {
                            id?: string;
                            tenant?: string;
                            model?: string;
                            faces?: number;
                            cameras?: string[];
                            first?: string;
                            last?: string;
                        };
                        faces?: {
                            id?: string;
                            camera?: string;
                            time?: string;
                            quality?: number;
                            /**
                             * @description match: kept because it was a close call
                             * @enum {string}
                             */
                            outcome?: "unknown" | "match";
                            /** @description the subject a low-margin match named */
                            subjectId?: string;
                            /** @description its aligned crop is kept: GET /v1/review/faces/{id}/crop */
                            hasCrop?: boolean;
                            candidates?: {
                                subjectId?: string;
                                score?: number;
                                threshold?: number;
                            }[];
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    dismissReviewCluster: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        faces?: number;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    assignReviewCluster: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    subjectId?: string;
                    name?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        subject?: {
                            id?: string;
                            name?: string;
                        };
                        templates?: number;
                        skipped?: number;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    getReviewFaceCrop: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description PNG */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/png": string;
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    getStatus: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        subjects?: number;
                        templates?: number;
                        reviewClusters?: number;
                        webhooks?: number;
                        models?: string[];
                        auditWritable?: boolean;
                        jobs?: {
                            [key: string]: number;
                        };
                        /** @description the liveness policy the tenant's identifications get, and the deployment's rules for the tenant's cameras */
                        liveness?: {
                            /** @enum {string} */
                            policy?: "off" | "advisory" | "required";
                            /** @enum {string} */
                            source?: "tenant" | "deployment";
                            /** @description per camera (of those the tenant's keys are bound to), where the deployment gives it its own policy */
                            cameras?: {
                                [key: string]: string;
                            };
                        };
                        /** @description this gateway's MQTT notifications (FACEREC_MQTT_URL): whether configured and connected, what it sent and dropped */
                        mqtt?: {
                            configured?: boolean;
                            connected?: boolean;
                            published?: number;
                            dropped?: number;
                        };
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    getPolicy: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        tenant?: string;
                        /** @description 0: the default, never set */
                        version?: number;
                        policy?: {
                            consent?: {
                                /** @description enrolment is refused (412) without a consent record */
                                required?: boolean;
                                /** @description the notice version people consent to */
                                noticeVersion?: string;
                            };
                            retention?: {
                                /** @description a subject whose newest template is older than this is erased by the retention job; null: kept */
                                templatesDays?: number | null;
                                /** @description review-queue faces are purged after this (at most the deployment's FACEREC_REVIEW_RETENTION_DAYS); null: the deployment's */
                                reviewDays?: number | null;
                                /** @description audit entries older than this are pruned behind a checkpoint (the rest still verifies); null: kept */
                                auditDays?: number | null;
                            };
                            identify?: {
                                /** @description `all`, or the cameras whose faces may be identified (others: 403 on the API, `rejected-camera` events) */
                                cameras?: "all" | string[];
                            };
                            thresholds?: {
                                /** @description the false-match rate decisions aim at (1e-2, 1e-3, 1e-4: a threshold the model pack calibrated); null: the deployment's */
                                targetFmr?: string | null;
                            };
                            /** @description whom the people the system sees can ask */
                            contact?: string;
                            /**
                             * @description the liveness policy of the tenant's identifications (a camera the deployment gives its own keeps it); null: the deployment's
                             * @enum {string|null}
                             */
                            liveness?: "off" | "advisory" | "required" | null;
                        };
                        setAt?: string;
                        /** @description the id of the key that set it */
                        setBy?: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    setPolicy: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    consent?: {
                        /** @description enrolment is refused (412) without a consent record */
                        required?: boolean;
                        /** @description the notice version people consent to */
                        noticeVersion?: string;
                    };
                    retention?: {
                        /** @description a subject whose newest template is older than this is erased by the retention job; null: kept */
                        templatesDays?: number | null;
                        /** @description review-queue faces are purged after this (at most the deployment's FACEREC_REVIEW_RETENTION_DAYS); null: the deployment's */
                        reviewDays?: number | null;
                        /** @description audit entries older than this are pruned behind a checkpoint (the rest still verifies); null: kept */
                        auditDays?: number | null;
                    };
                    identify?: {
                        /** @description `all`, or the cameras whose faces may be identified (others: 403 on the API, `rejected-camera` events) */
                        cameras?: "all" | string[];
                    };
                    thresholds?: {
                        /** @description the false-match rate decisions aim at (1e-2, 1e-3, 1e-4: a threshold the model pack calibrated); null: the deployment's */
                        targetFmr?: string | null;
                    };
                    /** @description whom the people the system sees can ask */
                    contact?: string;
                    /**
                     * @description the liveness policy of the tenant's identifications (a camera the deployment gives its own keeps it); null: the deployment's
                     * @enum {string|null}
                     */
                    liveness?: "off" | "advisory" | "required" | null;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        tenant?: string;
                        /** @description 0: the default, never set */
                        version?: number;
                        policy?: {
                            consent?: {
                                /** @description enrolment is refused (412) without a consent record */
                                required?: boolean;
                                /** @description the notice version people consent to */
                                noticeVersion?: string;
                            };
                            retention?: {
                                /** @description a subject whose newest template is older than this is erased by the retention job; null: kept */
                                templatesDays?: number | null;
                                /** @description review-queue faces are purged after this (at most the deployment's FACEREC_REVIEW_RETENTION_DAYS); null: the deployment's */
                                reviewDays?: number | null;
                                /** @description audit entries older than this are pruned behind a checkpoint (the rest still verifies); null: kept */
                                auditDays?: number | null;
                            };
                            identify?: {
                                /** @description `all`, or the cameras whose faces may be identified (others: 403 on the API, `rejected-camera` events) */
                                cameras?: "all" | string[];
                            };
                            thresholds?: {
                                /** @description the false-match rate decisions aim at (1e-2, 1e-3, 1e-4: a threshold the model pack calibrated); null: the deployment's */
                                targetFmr?: string | null;
                            };
                            /** @description whom the people the system sees can ask */
                            contact?: string;
                            /**
                             * @description the liveness policy of the tenant's identifications (a camera the deployment gives its own keeps it); null: the deployment's
                             * @enum {string|null}
                             */
                            liveness?: "off" | "advisory" | "required" | null;
                        };
                        setAt?: string;
                        /** @description the id of the key that set it */
                        setBy?: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    getNotice: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        tenant?: string;
                        generatedAt?: string;
                        policyVersion?: number;
                        noticeVersion?: string;
                        contact?: string;
                        consentRequired?: boolean;
                        models?: {
                            role?: string;
                            id?: string;
                        }[];
                        errorRates?: {
                            measure?: string;
                            value?: number;
                            at?: string;
                            source?: string;
                        }[];
                        stored?: string[];
                        retention?: string[];
                        liveness?: string;
                        unreadEvidence?: string[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    startChallenge: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description also check that the person who answers is this subject (each frame facing the camera is compared) */
                    subjectId?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id?: string;
                        actions?: ("turn-left" | "turn-right" | "blink")[];
                        /** @description the words to show for each action */
                        prompts?: string[];
                        /** Format: date-time */
                        expiresAt?: string;
                        maxFrames?: number;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    sendChallengeFrame: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description the image (JPEG, PNG, WebP or GIF), base64 */
                    image: string;
                };
                "multipart/form-data": {
                    /** @description the image file (JPEG, PNG, WebP, ...) */
                    image: Record<string, never>;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        frame?: number;
                        faces?: number;
                        /** @description the lone face's pose: yaw in eye distances, eyes' opening (see the README) */
                        pose?: {
                            yaw?: number;
                            eyes?: number;
                        };
                        observed?: ("turn-left" | "turn-right" | "blink")[];
                        /** @description every asked action has been seen: ask for the result */
                        complete?: boolean;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
    challengeResult: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id?: string;
                        live?: boolean;
                        /** @enum {string} */
                        reason?: "live" | "too-few-frames" | "several-faces" | "still-image" | "missing-action" | "wrong-action" | "wrong-order";
                        detail?: string;
                        actions?: ("turn-left" | "turn-right" | "blink")[];
                        observed?: ("turn-left" | "turn-right" | "blink")[];
                        frames?: number;
                        faceFrames?: number;
                        /** @description where the start named a subject: whether the person who answered is them (the median score of the frames facing the camera against their threshold) */
                        subject?: {
                            subjectId?: string;
                            match?: boolean;
                            score?: number;
                            threshold?: number;
                            frames?: number;
                        };
                        requestId?: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description gRPC status name */
                        error?: string;
                        message?: string;
                    };
                };
            };
        };
    };
}
