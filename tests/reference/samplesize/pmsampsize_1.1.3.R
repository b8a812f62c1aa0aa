# Reference values of pmsampsize 1.1.3 (CRAN, 2023-12-05) for irdp's development sample
# size: the 13 cases of its own test suite (tests/testthat/test_bin.R tests 4.1-4.4 and
# test_surv.R tests 3.1-3.9), run through the package's R code. pmsampsize is not packaged
# for Debian; its code is plain R, so this script sources it from a checkout of
# https://github.com/cran/pmsampsize at the commit "version 1.1.3" (fbb1472):
#   Rscript pmsampsize_1.1.3.R <path to the pmsampsize 1.1.3 source folder>
# It checks every result against the expectation written in the package's tests and writes
# pmsampsize_1.1.3.json (full result tables).
suppressMessages(library(jsonlite))
src <- commandArgs(trailingOnly = TRUE)[1]
desc <- read.dcf(file.path(src, "DESCRIPTION"))
stopifnot(desc[1, "Version"] == "1.1.3")
for (f in list.files(file.path(src, "R"), full.names = TRUE)) source(f)
cases <- list(
  list(id = "4.1", type = "b", csrsquared = 0.288, parameters = 24, prevalence = 0.174,
       ss = c(623, 662, 221, 662), epp = c(4.52, 4.8, 1.6, 4.8)),
  list(id = "4.2", type = "b", csrsquared = 0.55, parameters = 24, prevalence = 0.174,
       ss = c(255, 532, 221, 532), epp = c(1.85, 3.86, 1.6, 3.86)),
  list(id = "4.3", type = "b", csrsquared = 0.288, parameters = 36, prevalence = 0.174,
       ss = c(934, 992, 221, 992), epp = c(4.51, 4.79, 1.07, 4.79)),
  list(id = "4.4", type = "b", csrsquared = 0.288, parameters = 24, prevalence = 0.25,
       ss = c(623, 590, 289, 623), epp = c(6.49, 6.15, 3.01, 6.49)),
  list(id = "3.1", type = "s", csrsquared = 0.051, parameters = 25, rate = 0.065,
       timepoint = 2, meanfup = 2.07, ss = c(4286, 866, 4286, 4286),
       epp = c(23.07, 4.66, 23.07, 23.07)),
  list(id = "3.2", type = "s", csrsquared = 0.065, parameters = 25, rate = 0.065,
       timepoint = 2, meanfup = 2.07, ss = c(3335, 859, 3335, 3335),
       epp = c(17.95, 4.62, 17.95, 17.95)),
  list(id = "3.3", type = "s", csrsquared = 0.051, parameters = 50, rate = 0.065,
       timepoint = 2, meanfup = 2.07, ss = c(8572, 1731, 8572, 8572),
       epp = c(23.07, 4.66, 23.07, 23.07)),
  list(id = "3.4", type = "s", csrsquared = 0.051, parameters = 25, rate = 0.1,
       timepoint = 2, meanfup = 2.07, ss = c(4286, 731, 4286, 4286),
       epp = c(35.49, 6.05, 35.49, 35.49)),
  list(id = "3.5", type = "s", csrsquared = 0.051, parameters = 25, rate = 0.065,
       timepoint = 4, meanfup = 2.07, ss = c(4286, 866, 4286, 4286),
       epp = c(23.07, 4.66, 23.07, 23.07)),
  list(id = "3.6", type = "s", csrsquared = 0.051, parameters = 25, rate = 0.065,
       timepoint = 2, meanfup = 4, ss = c(4286, 679, 4286, 4286),
       epp = c(44.57, 7.06, 44.57, 44.57)),
  list(id = "3.7", type = "s", csrsquared = 0.06, parameters = 40, rate = 0.08,
       timepoint = 3, meanfup = 5, ss = c(5798, 969, 5798, 5798),
       epp = c(57.98, 9.69, 57.98, 57.98)),
  list(id = "3.8", type = "s", csrsquared = 0.03, parameters = 10, rate = 0.09,
       timepoint = 3, meanfup = 3, ss = c(2950, 272, 2950, 2950),
       epp = c(79.65, 7.34, 79.65, 79.65)),
  list(id = "3.9", type = "s", csrsquared = 0.3, parameters = 80, rate = 0.03,
       timepoint = 1, meanfup = 5, ss = c(1974, 2272, 2272, 2272),
       epp = c(3.7, 4.26, 4.26, 4.26))
)
out <- lapply(cases, function(cs) {
  args <- cs[setdiff(names(cs), c("id", "ss", "epp"))]
  res <- do.call(pmsampsize, args)
  tab <- res$results_table
  stopifnot(all(unname(tab[, 1]) == cs$ss), all(abs(unname(tab[, 7]) - cs$epp) < 1e-12))
  c(cs, list(sample_size = unname(tab[, 1]), shrinkage = unname(tab[, 2]),
             epp_table = unname(tab[, 7]), max_r2a = res$max_r2a, nag_r2 = res$nag_r2,
             final_shrinkage = res$final_shrinkage))
})
write_json(list(package = "pmsampsize", version = "1.1.3",
                source = "https://github.com/cran/pmsampsize (commit 'version 1.1.3')",
                cases = out, R_version = R.version.string, date = as.character(Sys.Date())),
           "pmsampsize_1.1.3.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
