# One image for every role: APP_ROLE=api | worker | all.
# Node 24 (maintenance LTS to 2028-04-30; 22 ends 2027-04-30): its AsyncLocalStorage needs no promise
# hooks, which on 20 and 22 every promise pays once the logger's or the transaction runner's has run
# (README "Benchmarks": webhook ingest 0.15 ms of CPU per delivery on 24 against 0.20-0.26 on 20)
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY prisma.config.ts ./
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
# Chinese and Japanese names in PDF reports (src/modules/reports/render/report-font.ts); without it they print as boxes
RUN apt-get update && apt-get install -y --no-install-recommends fonts-droid-fallback && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/scripts ./scripts
COPY package.json ./
USER node
EXPOSE 3000
CMD ["node", "dist/main.js"]
